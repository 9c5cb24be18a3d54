//! Charts of a node's signals, drawn by the core with plotters: SVG for the window's node panel,
//! SVG and PNG for the postmortem, with the threshold line and the stage changes marked.
//!
//! The window shows them as images (`<img src="data:image/svg+xml,...">`), so nothing in them
//! can run: node names come from topology files and are outside text. Text is laid out (and in
//! PNGs drawn) with the bundled DejaVu Sans (`assets/fonts`), so a chart looks the same on every
//! machine.

use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::model::Metric;

/// Why a chart could not be drawn.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot draw the chart: {0}")]
pub struct ChartError(String);

/// The size of the charts in the node panel, in pixels.
pub const WIDTH: u32 = 520;
pub const HEIGHT: u32 = 220;

/// What to draw: one signal over time.
#[derive(Debug, Clone, Copy)]
pub struct Chart<'a> {
    pub node: &'a str,
    pub metric: Metric,
    pub points: &'a [(DateTime<Utc>, f64)],
    /// Drawn as a dashed red line.
    pub threshold: Option<f64>,
    /// Instants marked by a vertical line with a label (stage changes).
    pub marks: &'a [(DateTime<Utc>, String)],
    /// The time axis; `None`: the points' own span.
    pub span: Option<(DateTime<Utc>, DateTime<Utc>)>,
    pub size: (u32, u32),
}

/// Draws `points` of `metric` for `node` over time, with the `threshold` as a dashed red line and
/// `marks` (a deploy, a restart) as labelled vertical lines, as the node panel shows it.
///
/// # Errors
/// [`ChartError`] when plotters cannot draw (it should not, on an SVG string).
pub fn svg(
    node: &str,
    metric: Metric,
    points: &[(DateTime<Utc>, f64)],
    threshold: Option<f64>,
    marks: &[(DateTime<Utc>, String)],
) -> Result<String, ChartError> {
    Chart { node, metric, points, threshold, marks, span: None, size: (WIDTH, HEIGHT) }.svg()
}

impl Chart<'_> {
    /// The chart as an SVG document.
    ///
    /// # Errors
    /// [`ChartError`] when plotters cannot draw.
    pub fn svg(&self) -> Result<String, ChartError> {
        let mut out = String::new();
        draw(SVGBackend::with_string(&mut out, self.size).into_drawing_area(), self)?;
        Ok(out)
    }

    /// The chart as a PNG file's bytes (8-bit RGB).
    ///
    /// # Errors
    /// [`ChartError`] when plotters cannot draw or the PNG cannot be encoded.
    pub fn png(&self) -> Result<Vec<u8>, ChartError> {
        let (w, h) = self.size;
        let mut rgb = vec![0_u8; w as usize * h as usize * 3];
        draw(BitMapBackend::with_buffer(&mut rgb, self.size).into_drawing_area(), self)?;
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, w, h);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().map_err(|e| err(&e))?;
        writer.write_image_data(&rgb).map_err(|e| err(&e))?;
        writer.finish().map_err(|e| err(&e))?;
        Ok(out)
    }
}

fn err(e: &dyn std::fmt::Display) -> ChartError {
    ChartError(e.to_string())
}

/// Text needs a font to be measured and drawn with: the bundled one, registered once.
fn register_font() -> Result<(), ChartError> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            let bytes: &'static [u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");
            plotters::style::register_font("sans-serif", FontStyle::Normal, bytes)
                .map_err(|_| "the bundled font cannot be read".to_owned())
        })
        .clone()
        .map_err(ChartError)
}

/// The largest magnitude a chart draws: values beyond are drawn at this edge.
const LIMIT: f64 = 1e300;

fn held(v: f64) -> f64 {
    v.clamp(-LIMIT, LIMIT)
}

fn draw<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, c: &Chart<'_>) -> Result<(), ChartError> {
    register_font()?;
    let white = RGBColor(236, 239, 244);
    root.fill(&RGBColor(23, 26, 33)).map_err(|e| err(&e))?;
    let (Some(first), Some(last)) = (c.points.first(), c.points.last()) else {
        root.draw(&Text::new(
            format!("{}: no data yet", c.metric.name()),
            (10, 20),
            ("sans-serif", 14).into_font().color(&white),
        ))
        .map_err(|e| err(&e))?;
        return root.present().map_err(|e| err(&e));
    };
    let (start, end) = c.span.unwrap_or((first.0, last.0));
    let end = if end > start { end } else { start + chrono::Duration::seconds(1) };
    // Any f64 can come in (a server's +Inf, an imported 1.7e308): the axis spans the finite
    // values, each held within ±LIMIT, so its top can never overflow to infinity.
    let finite = c.points.iter().map(|p| p.1).filter(|v| v.is_finite()).map(held);
    let threshold = c.threshold.filter(|t| t.is_finite()).map(held);
    let high = finite.clone().fold(threshold.unwrap_or(0.0), f64::max);
    let bottom = finite.fold(threshold.unwrap_or(0.0).min(0.0), f64::min);
    let top = high + ((high - bottom) * 0.15).max(1e-9);
    let grey = RGBColor(139, 147, 163);
    let mut chart = ChartBuilder::on(&root)
        .caption(format!("{} · {}", c.node, c.metric.name()), ("sans-serif", 14).into_font().color(&white))
        .margin(8)
        .x_label_area_size(22)
        .y_label_area_size(52)
        .build_cartesian_2d(start..end, bottom..top)
        .map_err(|e| err(&e))?;
    let metric = c.metric;
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
    // A mark closer than a label's width to the last one drawn would only overwrite it.
    let min_gap = (end - start) * 40 / i32::try_from(c.size.0.max(1)).unwrap_or(i32::MAX);
    let mut last: Option<DateTime<Utc>> = None;
    for (at, label) in c.marks.iter().filter(|(at, _)| *at >= start && *at <= end) {
        if last.is_some_and(|l| *at - l < min_gap) {
            continue;
        }
        last = Some(*at);
        let amber = RGBColor(245, 158, 11);
        chart
            .draw_series(LineSeries::new([(*at, bottom), (*at, top)], amber.stroke_width(1)))
            .map_err(|e| err(&e))?;
        chart
            .draw_series(std::iter::once(Text::new(
                label.clone(),
                (*at, top),
                ("sans-serif", 10).into_font().color(&amber),
            )))
            .map_err(|e| err(&e))?;
    }
    chart
        .draw_series(LineSeries::new(
            c.points.iter().filter(|p| p.1.is_finite()).map(|p| (p.0, held(p.1))),
            RGBColor(90, 162, 255).stroke_width(2),
        ))
        .map_err(|e| err(&e))?;
    if let Some(limit) = threshold {
        let dashes = DashedLineSeries::new(
            [(start, limit), (end, limit)],
            6,
            4,
            RGBColor(239, 68, 68).stroke_width(2),
        );
        chart.draw_series(dashes).map_err(|e| err(&e))?;
    }
    root.present().map_err(|e| err(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_has_its_line_its_threshold_and_its_size() {
        let t0 = DateTime::<Utc>::UNIX_EPOCH;
        let points: Vec<_> =
            (0..60).map(|i| (t0 + chrono::Duration::seconds(i * 30), 0.3 + i as f64 * 0.01)).collect();
        let svg = svg("order-service", Metric::DbPoolRatio, &points, Some(0.9), &[]).unwrap();
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
        svg("a", Metric::Up, &[], None, &[]).unwrap()
    }

    #[test]
    fn markup_in_names_stays_text() {
        let t0 = DateTime::<Utc>::UNIX_EPOCH;
        let svg = svg(
            "<script>x</script>",
            Metric::Up,
            &[(t0, 1.0), (t0 + chrono::Duration::seconds(5), 1.0)],
            None,
            &[(t0, "deploy <b>2.15</b>".to_owned())],
        )
        .unwrap();
        assert!(!svg.contains("<script>") && !svg.contains("<b>"), "{svg}");
    }

    /// Defect: `export --format md` never finished when a sample was ≥ ~1.57e308 (the axis's
    /// top became infinite and plotting looped). Every f64 draws, and the drawing finishes.
    #[test]
    fn charts_take_any_f64_and_finish() {
        let t0 = DateTime::<Utc>::UNIX_EPOCH;
        let at = |s: i64| t0 + chrono::Duration::seconds(s);
        let series: [&[f64]; 8] = [
            &[1.0, f64::MAX, 1.7e308],
            &[f64::INFINITY, f64::NEG_INFINITY, f64::NAN, 2.0],
            &[f64::NAN, f64::NAN],
            &[-f64::MAX, f64::MAX],
            &[1e-320, 2e-320, 5e-324],
            &[42.0, 42.0, 42.0],
            &[-3.0, -3.0],
            &[0.0],
        ];
        for values in series {
            let points: Vec<(DateTime<Utc>, f64)> =
                values.iter().enumerate().map(|(i, v)| (at(i as i64), *v)).collect();
            for threshold in [None, Some(f64::INFINITY), Some(f64::MAX), Some(0.5)] {
                let chart = Chart {
                    node: "n",
                    metric: Metric::Up,
                    points: &points,
                    threshold,
                    marks: &[],
                    span: None,
                    size: (WIDTH, HEIGHT),
                };
                let svg = chart.svg().unwrap();
                assert!(svg.contains("<svg"), "{values:?}");
                assert!(chart.png().unwrap().starts_with(b"\x89PNG"), "{values:?}");
            }
        }
    }
}
