//! AWS CloudWatch alarms through `warroom poll`, against moto's server on 127.0.0.1 (no AWS can
//! be reached from here; moto answers the JSON 1.0 protocol as CloudWatch does). moto never
//! evaluates alarms, so the test creates them and sets their state (PutMetricAlarm,
//! SetAlarmState), then polls as a user would, with the keys in the environment only.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Command;

use serde_json::{Value, json};

const REGION: &str = "eu-west-1";

/// One CloudWatch action in the JSON 1.0 protocol. moto routes by the credential scope of the
/// `Authorization` header and does not check the signature, so the setup need not sign.
async fn cloudwatch(port: u16, action: &str, body: Value) {
    let response = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/"))
        .header("x-amz-target", format!("GraniteServiceVersion20100801.{action}"))
        .header("content-type", "application/x-amz-json-1.0")
        .header(
            "authorization",
            format!("AWS4-HMAC-SHA256 Credential=testing/20261123/{REGION}/monitoring/aws4_request, SignedHeaders=host, Signature=0"),
        )
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = response.status();
    assert!(status.is_success(), "{action}: {status} {}", response.text().await.unwrap());
}

async fn alarm(port: u16, name: &str, dimensions: Value, state: &str) {
    cloudwatch(
        port,
        "PutMetricAlarm",
        json!({
            "AlarmName": name,
            "AlarmDescription": format!("{name} (test)"),
            "MetricName": "CPUUtilization",
            "Namespace": "AWS/RDS",
            "Statistic": "Average",
            "Dimensions": dimensions,
            "Period": 60,
            "EvaluationPeriods": 5,
            "Threshold": 80.0,
            "ComparisonOperator": "GreaterThanThreshold",
        }),
    )
    .await;
    cloudwatch(port, "SetAlarmState", json!({"AlarmName": name, "StateValue": state, "StateReason": "test"}))
        .await;
}

fn poll(config: &std::path::Path, secret: Option<&str>) -> std::process::Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_warroom"));
    command
        .args(["--config", config.to_str().unwrap(), "poll", "--once", "--json"])
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env_remove("AWS_SESSION_TOKEN");
    match secret {
        Some(secret) => command.env("AWS_SECRET_ACCESS_KEY", secret),
        None => command.env_remove("AWS_SECRET_ACCESS_KEY"),
    };
    command.output().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn alarms_in_alarm_map_to_nodes_by_dimension_or_name() {
    let moto = common::moto().await;
    alarm(
        moto.port,
        "orders-db-cpu-high",
        json!([{"Name": "DBInstanceIdentifier", "Value": "mysql-primary"}]),
        "ALARM",
    )
    .await;
    alarm(moto.port, "checkout-latency", json!([]), "ALARM").await;
    alarm(
        moto.port,
        "users-db-cpu-high",
        json!([{"Name": "DBInstanceIdentifier", "Value": "users-db"}]),
        "OK",
    )
    .await;

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("topology.toml"),
        "[[node]]\nid = \"order-service\"\nentrypoint = true\ndepends_on = [\"mysql-primary\"]\n[[node]]\nid = \"mysql-primary\"\nkind = \"database\"\n[[node]]\nid = \"users-db\"\n",
    )
    .unwrap();
    let config = dir.path().join("warroom.toml");
    std::fs::write(
        &config,
        format!(
            "[topology]\nfile = \"topology.toml\"\n\n[[source]]\nname = \"aws\"\nkind = \"cloudwatch\"\nurl = \"http://127.0.0.1:{}\"\nregion = \"{REGION}\"\nnode_label = \"DBInstanceIdentifier\"\nalarm_nodes = {{ \"checkout-latency\" = \"order-service\" }}\n",
            moto.port
        ),
    )
    .unwrap();

    let out = poll(&config, Some("testing-secret"));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["problems"], json!([]), "{report}");
    let mut alerts: Vec<(String, String)> = report["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["name"].as_str().unwrap().to_owned(), a["node"].as_str().unwrap().to_owned()))
        .collect();
    alerts.sort();
    assert_eq!(
        alerts,
        [
            ("checkout-latency".to_owned(), "order-service".to_owned()),
            ("orders-db-cpu-high".to_owned(), "mysql-primary".to_owned())
        ],
        "only alarms in ALARM, by dimension or by name"
    );
    assert_eq!(report["queries"], 1);
    assert_eq!(report["sources"][0]["requests"], 1, "one signed request per cycle");
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(!printed.contains("testing-secret"), "the secret key is never printed");

    // The key missing: a one-line error naming the variable, nothing polled.
    let out = poll(&config, None);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("AWS_SECRET_ACCESS_KEY is not set"), "{stderr}");
}
