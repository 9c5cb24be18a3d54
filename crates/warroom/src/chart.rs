//! Charts of a node's signals, drawn by the core as SVG (plotters), with the threshold line.
//!
//! The window shows them as images (`<img src="data:image/svg+xml,...">`), so nothing in them
//! can run: node names come from topology files and are outside text.

use chrono::{DateTime, Utc};
use plotters::prelude::*;

use crate::model::Metric;

/// Why a chart could not be drawn.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot draw the chart: {0}")]
pub struct ChartError(String);

/// The size of the charts in the node panel, in pixels.
pub const WIDTH: u32 = 520;
pub const HEIGHT: u32 = 220;

/// Draws `points` of `metric` for `node` over time, with the `threshold` as a dashed red line.
///
/// # Errors
/// [`ChartError`] when plotters cannot draw (it should not, on an SVG string).
pub fn svg(
    node: &str,
    metric: Metric,
    points: &[(DateTime<Utc>, f64)],
    threshold: Option<f64>,
) -> Result<String, ChartError> {
    let err = |e: &dyn std::fmt::Display| ChartError(e.to_string());
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&RGBColor(23, 26, 33)).map_err(|e| err(&e))?;
        let (Some(first), Some(last)) = (points.first(), points.last()) else {
            root.draw(&Text::new(
                format!("{}: no data yet", metric.name()),
                (10, 20),
                ("sans-serif", 14).into_font().color(&WHITE),
            ))
            .map_err(|e| err(&e))?;
            root.present().map_err(|e| err(&e))?;
            drop(root);
            return Ok(out);
        };
        let finite = points.iter().map(|p| p.1).filter(|v| v.is_finite());
        let top = finite.clone().fold(threshold.unwrap_or(0.0), f64::max).max(1e-9) * 1.15;
        let bottom = finite.fold(0.0_f64, f64::min);
        let end = if last.0 > first.0 { last.0 } else { first.0 + chrono::Duration::seconds(1) };
        let grey = RGBColor(139, 147, 163);
        let mut chart = ChartBuilder::on(&root)
            .caption(format!("{node} · {}", metric.name()), ("sans-serif", 14).into_font().color(&WHITE))
            .margin(8)
            .x_label_area_size(22)
            .y_label_area_size(52)
            .build_cartesian_2d(first.0..end, bottom..top)
            .map_err(|e| err(&e))?;
        chart
            .configure_mesh()
            .light_line_style(RGBColor(42, 47, 58))
            .bold_line_style(RGBColor(42, 47, 58))
            .axis_style(grey)
            .label_style(("sans-serif", 11).into_font().color(&grey))
            .x_labels(5)
            .y_labels(4)
            .x_label_formatter(&|t| t.format("%H:%M").to_string())
            .y_label_formatter(&|v| metric.format(*v))
            .draw()
            .map_err(|e| err(&e))?;
        chart
            .draw_series(LineSeries::new(
                points.iter().filter(|p| p.1.is_finite()).copied(),
                RGBColor(90, 162, 255).stroke_width(2),
            ))
            .map_err(|e| err(&e))?;
        if let Some(limit) = threshold {
            let dashes = DashedLineSeries::new(
                [(first.0, limit), (end, limit)],
                6,
                4,
                RGBColor(239, 68, 68).stroke_width(2),
            );
            chart.draw_series(dashes).map_err(|e| err(&e))?;
        }
        root.present().map_err(|e| err(&e))?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_has_its_line_its_threshold_and_its_size() {
        let t0 = DateTime::<Utc>::UNIX_EPOCH;
        let points: Vec<_> =
            (0..60).map(|i| (t0 + chrono::Duration::seconds(i * 30), 0.3 + i as f64 * 0.01)).collect();
        let svg = svg("order-service", Metric::DbPoolRatio, &points, Some(0.9)).unwrap();
        assert!(
            svg.starts_with("<svg")
                && svg.contains(&format!("width=\"{WIDTH}\""))
                && svg.contains(&format!("height=\"{HEIGHT}\""))
        );
        assert!(svg.contains("order-service · db_pool_ratio"));
        assert!(svg.contains("stroke=\"#EF4444\""), "the threshold line is drawn in red");
        assert!(svg.contains("%\n</text>"), "the axis speaks in percent");
        let empty = svg_empty();
        assert!(empty.contains("no data yet"));
    }

    fn svg_empty() -> String {
        svg("a", Metric::Up, &[], None).unwrap()
    }

    #[test]
    fn markup_in_names_stays_text() {
        let t0 = DateTime::<Utc>::UNIX_EPOCH;
        let svg = svg(
            "<script>x</script>",
            Metric::Up,
            &[(t0, 1.0), (t0 + chrono::Duration::seconds(5), 1.0)],
            None,
        )
        .unwrap();
        assert!(!svg.contains("<script>"), "{svg}");
    }
}
