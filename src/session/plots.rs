//! Charts of a session's trials as SVG (plotters' SVG backend: no system fonts).

use plotters::prelude::*;

/// Width and height of every chart, in pixels.
const SIZE: (u32, u32) = (640, 360);

/// Which chart `plot` draws.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The best value so far against the number of evaluations.
    Convergence,
    /// Every trial's value, in the order the trials ran.
    Values,
}

impl Kind {
    /// Every kind with its name, for parsing, help and completion.
    pub const ALL: [(&'static str, Kind); 2] = [("convergence", Kind::Convergence), ("values", Kind::Values)];

    /// The kind named `name`.
    pub fn named(name: &str) -> Option<Kind> {
        Self::ALL.iter().find(|(n, _)| *n == name).map(|(_, k)| *k)
    }
}

/// A chart's data: trial values in the order they ran (`None` for failures) and
/// whether smaller is better.
pub struct Series<'a> {
    /// One value per finished trial, in trial order.
    pub values: &'a [Option<f64>],
    /// Whether the objective is minimized (the running best is then a minimum).
    pub minimize: bool,
    /// The study's name, for the caption.
    pub study: &'a str,
}

/// The best value after each evaluation (`None` until one succeeded).
pub fn running_best(values: &[Option<f64>], minimize: bool) -> Vec<Option<f64>> {
    let mut best: Option<f64> = None;
    values
        .iter()
        .map(|v| {
            if let Some(v) = v {
                let better = best.is_none_or(|b| if minimize { *v < b } else { *v > b });
                if better {
                    best = Some(*v);
                }
            }
            best
        })
        .collect()
}

/// Draws `kind` as an SVG document.
pub fn svg(kind: Kind, series: &Series) -> Result<String, String> {
    let points: Vec<(f64, f64)> = match kind {
        Kind::Convergence => numbered(&running_best(series.values, series.minimize)),
        Kind::Values => numbered(series.values),
    };
    if points.is_empty() {
        return Err("no successful trial to plot yet: `step` runs a stage".into());
    }
    let (title, y_label) = match kind {
        Kind::Convergence => (format!("{}: best value so far", series.study), "best value"),
        Kind::Values => (format!("{}: value of every trial", series.study), "value"),
    };
    let mut out = String::new();
    draw(&mut out, &title, y_label, &points, kind == Kind::Convergence).map_err(|e| format!("cannot draw: {e}"))?;
    Ok(out)
}

/// (evaluation number from 1, value) for the points that have a value.
fn numbered(values: &[Option<f64>]) -> Vec<(f64, f64)> {
    values.iter().enumerate().filter_map(|(i, v)| v.map(|v| ((i + 1) as f64, v))).collect()
}

/// The smallest and largest y, widened a little so the curve does not touch the frame.
fn y_range(points: &[(f64, f64)]) -> (f64, f64) {
    let lo = points.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
    let hi = points.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
    let pad = ((hi - lo) * 0.05).max(1e-9);
    (lo - pad, hi + pad)
}

fn draw(out: &mut String, title: &str, y_label: &str, points: &[(f64, f64)], line: bool) -> Result<(), String> {
    let root = SVGBackend::with_string(out, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let x_max = points.last().map_or(1.0, |p| p.0).max(2.0);
    let (y_lo, y_hi) = y_range(points);
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 18))
        .margin(12)
        .margin_right(28)
        .x_label_area_size(36)
        .y_label_area_size(64)
        .build_cartesian_2d(1.0..x_max, y_lo..y_hi)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_desc("evaluation")
        .y_desc(y_label)
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(|e| e.to_string())?;
    let blue = RGBColor(31, 119, 180);
    if line {
        chart.draw_series(LineSeries::new(points.iter().copied(), blue.stroke_width(2))).map_err(|e| e.to_string())?;
    } else {
        chart
            .draw_series(points.iter().map(|p| Circle::new(*p, 2, blue.mix(0.6).filled())))
            .map_err(|e| e.to_string())?;
    }
    root.present().map_err(|e| e.to_string())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn running_best_keeps_the_minimum_and_skips_failures() {
        let v = [None, Some(3.0), None, Some(5.0), Some(1.0)];
        assert_eq!(running_best(&v, true), vec![None, Some(3.0), Some(3.0), Some(3.0), Some(1.0)]);
        assert_eq!(running_best(&v, false), vec![None, Some(3.0), Some(3.0), Some(5.0), Some(5.0)]);
    }

    #[test]
    fn svg_has_a_path_and_the_title() {
        let values = [Some(2.0), Some(1.0), Some(1.5)];
        let s = svg(Kind::Convergence, &Series { values: &values, minimize: true, study: "toy" }).expect("draws");
        assert!(s.starts_with("<svg") && s.contains("toy: best value so far") && s.contains("<polyline"), "{s}");
        let none: [Option<f64>; 1] = [None];
        assert!(svg(Kind::Values, &Series { values: &none, minimize: true, study: "toy" }).is_err());
    }
}
