//! Charts of a session's trials: which curves `plot` shows. The drawing itself
//! (SVG and terminal sparklines) is `crate::plot`'s, shared with the SGD lab.

use crate::plot::{self, Panel, Series};

/// Width of the sparkline standing in for a chart in plain text.
pub const SPARK_WIDTH: usize = 40;

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

    fn title(self) -> &'static str {
        match self {
            Kind::Convergence => "best value so far",
            Kind::Values => "value of every trial",
        }
    }
}

/// A chart's data: trial values in the order they ran (`None` for failures) and
/// whether smaller is better.
pub struct Trials<'a> {
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

/// A chart of `kind`: its title and its one panel, or why there is nothing to draw.
fn chart(kind: Kind, trials: &Trials) -> Result<(String, Panel), String> {
    let series = match kind {
        Kind::Convergence => Series::line("best", numbered(&running_best(trials.values, trials.minimize))),
        Kind::Values => Series::dots("value", numbered(trials.values)),
    };
    if series.points.is_empty() {
        return Err("no successful trial to plot yet: `step` runs a stage".into());
    }
    let y = match kind {
        Kind::Convergence => "best value",
        Kind::Values => "value",
    };
    let panel = Panel { title: y.into(), series: vec![series], ..Panel::default() };
    Ok((format!("{}: {}", trials.study, kind.title()), panel))
}

/// Draws `kind` as an SVG document.
pub fn svg(kind: Kind, trials: &Trials) -> Result<String, String> {
    let (title, panel) = chart(kind, trials)?;
    plot::panels_svg(&title, "evaluation", &[panel], 640).map_err(|e| e.to_string())
}

/// The plain-text stand-in for the chart: a sparkline and where the curve ends.
pub fn text(kind: Kind, trials: &Trials) -> Result<String, String> {
    let (title, panel) = chart(kind, trials)?;
    let mut out = plot::panels_text(&title, &[panel], SPARK_WIDTH);
    if let Some(best) = running_best(trials.values, trials.minimize).last().copied().flatten() {
        out.push_str(&format!("  {} evaluations; best {best:.4}\n", trials.values.len()));
    }
    Ok(out)
}

/// (evaluation number from 1, value) for the points that have a value.
fn numbered(values: &[Option<f64>]) -> Vec<(f64, f64)> {
    values.iter().enumerate().filter_map(|(i, v)| v.map(|v| ((i + 1) as f64, v))).collect()
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
        let trials = Trials { values: &values, minimize: true, study: "toy" };
        let s = svg(Kind::Convergence, &trials).expect("draws");
        assert!(s.starts_with("<svg") && s.contains("toy: best value so far") && s.contains("<polyline"), "{s}");
        assert_eq!(
            text(Kind::Convergence, &trials).expect("text"),
            "toy: best value so far\n  best value  █▁▁  2.0000 -> 1.0000\n  3 evaluations; best 1.0000\n"
        );
        let none: [Option<f64>; 1] = [None];
        assert!(svg(Kind::Values, &Trials { values: &none, minimize: true, study: "toy" }).is_err());
    }
}
