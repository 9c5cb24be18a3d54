//! Prometheus's JSON answers, read with serde seeds: the envelope every answer shares, its
//! `data` read by whatever seed the caller brings, and an instant vector read as it is parsed.
//!
//! A signal's answer holds a series per node, and a series may carry a dozen labels of which one
//! names the node. Read into structs, each series would build a map of every label; read here,
//! each series keeps only the label asked for and its value, borrowing strings from the answer
//! until the node's name is stored, so a 1 000-series answer costs one allocation per series.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use chrono::{DateTime, Utc};

use crate::model::{Metric, Sample};

/// An answer: its status, and its `data` as read by the [`DeserializeSeed`] it was read with.
pub(super) struct Envelope<T> {
    pub status: String,
    pub data: Option<T>,
    pub error_type: Option<String>,
    pub error: Option<String>,
    pub warnings: Vec<String>,
}

/// Reads an [`Envelope`], its `data` with the seed it holds: every answer has the same envelope,
/// what is in `data` and how much of it to keep is the caller's.
pub(super) struct EnvelopeSeed<S>(pub S);

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "camelCase")]
enum EnvelopeField {
    Status,
    Data,
    ErrorType,
    Error,
    Warnings,
    #[serde(other)]
    Other,
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for EnvelopeSeed<S> {
    type Value = Envelope<S::Value>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de, S: DeserializeSeed<'de>> Visitor<'de> for EnvelopeSeed<S> {
    type Value = Envelope<S::Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Prometheus answer")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut seed = Some(self.0);
        let (mut status, mut data, mut error_type, mut error, mut warnings) = (None, None, None, None, None);
        while let Some(field) = map.next_key()? {
            match field {
                EnvelopeField::Status => once(&mut status, "status", map.next_value()?)?,
                EnvelopeField::Data => {
                    let seed = seed.take().ok_or_else(|| de::Error::duplicate_field("data"))?;
                    data = map.next_value_seed(Nullable(seed))?;
                }
                EnvelopeField::ErrorType => once(&mut error_type, "errorType", map.next_value()?)?,
                EnvelopeField::Error => once(&mut error, "error", map.next_value()?)?,
                EnvelopeField::Warnings => once(&mut warnings, "warnings", map.next_value()?)?,
                EnvelopeField::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Envelope {
            status: status.ok_or_else(|| de::Error::missing_field("status"))?,
            data,
            error_type: error_type.flatten(),
            error: error.flatten(),
            warnings: warnings.unwrap_or_default(),
        })
    }
}

/// Sets a field read once; a field read twice is an error, as serde's derive has it.
fn once<T, E: de::Error>(field: &mut Option<T>, name: &'static str, value: T) -> Result<(), E> {
    if field.replace(value).is_some() {
        return Err(E::duplicate_field(name));
    }
    Ok(())
}

/// A seed's value or `null`.
struct Nullable<S>(S);

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Nullable<S> {
    type Value = Option<S::Value>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_option(self)
    }
}

impl<'de, S: DeserializeSeed<'de>> Visitor<'de> for Nullable<S> {
    type Value = Option<S::Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value or null")
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        self.0.deserialize(deserializer).map(Some)
    }
}

/// A string of the answer, borrowed from it unless it had to be unescaped.
struct Text<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Text<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }

            fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(text)))
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(text.to_owned())))
            }

            fn visit_string<E: de::Error>(self, text: String) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(text)))
            }
        }
        deserializer.deserialize_str(TextVisitor)
    }
}

/// What an instant query's `data` holds, read for the samples of one signal.
pub(super) enum Instant {
    Vector(Vec<Sample>),
    /// A scalar or a string: no labels at all.
    Scalar,
    Matrix,
    /// `result` came before `resultType`, so it could not be read as it was parsed: Prometheus
    /// writes `resultType` first, but a proxy may reorder keys.
    Unordered,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum ResultType {
    Vector,
    Scalar,
    Matrix,
    String,
}

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "camelCase")]
enum DataField {
    ResultType,
    Result,
    #[serde(other)]
    Other,
}

/// Reads an instant query's `data` into samples of `metric`, each named by the `label` label.
pub(super) struct InstantSeed<'s> {
    pub label: &'s str,
    pub metric: Metric,
}

impl<'de> DeserializeSeed<'de> for InstantSeed<'_> {
    type Value = Instant;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for InstantSeed<'_> {
    type Value = Instant;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an instant query's data")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut result_type, mut result) = (None, None);
        while let Some(field) = map.next_key()? {
            match field {
                DataField::ResultType => once(&mut result_type, "resultType", map.next_value()?)?,
                DataField::Result => {
                    let read = match result_type {
                        Some(ResultType::Vector) => Instant::Vector(map.next_value_seed(VectorSeed(&self))?),
                        other => {
                            map.next_value::<IgnoredAny>()?;
                            match other {
                                Some(ResultType::Scalar | ResultType::String) => Instant::Scalar,
                                Some(ResultType::Matrix) => Instant::Matrix,
                                Some(ResultType::Vector) | None => Instant::Unordered,
                            }
                        }
                    };
                    once(&mut result, "result", read)?;
                }
                DataField::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        result_type.ok_or_else(|| de::Error::missing_field("resultType"))?;
        result.ok_or_else(|| de::Error::missing_field("result"))
    }
}

/// Reads a vector's series into samples, leaving out those without the label or a number.
struct VectorSeed<'a, 's>(&'a InstantSeed<'s>);

impl<'de> DeserializeSeed<'de> for VectorSeed<'_, '_> {
    type Value = Vec<Sample>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for VectorSeed<'_, '_> {
    type Value = Vec<Sample>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an instant vector")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut samples = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        // An instant vector's series are all evaluated at one time: it is converted once.
        let mut evaluated: Option<(f64, DateTime<Utc>)> = None;
        while let Some(series) = seq.next_element_seed(SeriesSeed(self.0.label))? {
            let Some((node, value, t)) = series else { continue };
            let at = match evaluated {
                Some((seen, at)) if seen.to_bits() == t.to_bits() => at,
                _ => evaluated.insert((t, super::at(t))).1,
            };
            samples.push(Sample { node, metric: self.0.metric, value, at });
        }
        Ok(samples)
    }
}

/// Reads one series of a vector: the value of its label named so (the node), its value and
/// when it was evaluated; `None` without the label or a number.
struct SeriesSeed<'s>(&'s str);

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "lowercase")]
enum SeriesField {
    Metric,
    Value,
    #[serde(other)]
    Other,
}

impl<'de> DeserializeSeed<'de> for SeriesSeed<'_> {
    type Value = Option<(String, f64, f64)>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for SeriesSeed<'_> {
    type Value = Option<(String, f64, f64)>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a series of an instant vector")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut node, mut sample) = (None, None);
        while let Some(field) = map.next_key()? {
            match field {
                SeriesField::Metric => once(&mut node, "metric", map.next_value_seed(LabelSeed(self.0))?)?,
                SeriesField::Value => once(&mut sample, "value", map.next_value::<(f64, Text<'de>)>()?)?,
                SeriesField::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let node = node.ok_or_else(|| de::Error::missing_field("metric"))?;
        let (t, text) = sample.ok_or_else(|| de::Error::missing_field("value"))?;
        Ok(node.zip(super::value(&text.0)).map(|(node, v)| (node, v, t)))
    }
}

/// Reads a series' labels for the value of one, skipping the others.
struct LabelSeed<'s>(&'s str);

impl<'de> DeserializeSeed<'de> for LabelSeed<'_> {
    type Value = Option<String>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for LabelSeed<'_> {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map of labels")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut found = None;
        while let Some(Text(name)) = map.next_key()? {
            // A label's value is a string, read or not: as a map of labels would have it, and
            // the last one of a name counts.
            let Text(text) = map.next_value()?;
            if name == self.0 {
                found = Some(text.into_owned());
            }
        }
        Ok(found)
    }
}
