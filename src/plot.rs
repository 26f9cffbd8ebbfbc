//! Charts for front ends: SVG line panels with shaded phases, contour plots with
//! trajectories, and terminal sparklines. Values in, SVG text out: no files, so the
//! CLI, a REPL and a notebook kernel can all use them.

use std::fmt::Write as _;

use plotters::coord::Shift;
use plotters::prelude::*;

/// Errors drawing a chart.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlotError {
    /// The drawing backend failed.
    #[error("cannot draw the chart: {0}")]
    Draw(String),
}

fn draw_err<E: std::fmt::Debug>(e: E) -> PlotError {
    PlotError::Draw(format!("{e:?}"))
}

/// A named line: (x, y) points in order.
#[derive(Clone, Debug, Default)]
pub struct Series {
    /// Legend label.
    pub name: String,
    /// The points; non-finite ones are skipped.
    pub points: Vec<(f64, f64)>,
    /// Joined by a line, or drawn as dots.
    pub style: Style,
}

impl Series {
    /// A line through `points`.
    pub fn line(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Self { name: name.into(), points, style: Style::Line }
    }

    /// A dot at each of `points`.
    pub fn dots(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Self { name: name.into(), points, style: Style::Dots }
    }
}

/// How a series is drawn.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Style {
    /// Points joined in order.
    #[default]
    Line,
    /// One dot per point (a scatter of values).
    Dots,
}

/// A shaded x-interval with a label (e.g. a phase).
#[derive(Clone, Debug)]
pub struct Band {
    /// Start of the interval.
    pub from: f64,
    /// End of the interval.
    pub to: f64,
    /// Label drawn at its top.
    pub label: String,
}

/// One chart of a stack: its title, lines and shaded bands.
#[derive(Clone, Debug, Default)]
pub struct Panel {
    /// The y-axis description.
    pub title: String,
    /// The lines.
    pub series: Vec<Series>,
    /// Shaded intervals.
    pub bands: Vec<Band>,
    /// A horizontal reference line (e.g. y = 0 for a cosine).
    pub rule: Option<f64>,
}

const PALETTE: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(255, 127, 14),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(23, 190, 207),
];
const BAND_COLORS: [RGBColor; 2] = [RGBColor(255, 224, 178), RGBColor(200, 230, 201)];

/// Panels stacked vertically over a shared x-axis, as one SVG document.
pub fn panels_svg(title: &str, x_label: &str, panels: &[Panel], width: u32) -> Result<String, PlotError> {
    let mut svg = String::new();
    let height = 60 + 220 * panels.len().max(1) as u32;
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_err)?;
        let root = root.titled(title, ("sans-serif", 20)).map_err(draw_err)?;
        let areas = root.split_evenly((panels.len().max(1), 1));
        for (panel, area) in panels.iter().zip(&areas) {
            draw_panel(area, panel, x_label)?;
        }
        root.present().map_err(draw_err)?;
    }
    Ok(svg)
}

fn finite_points(s: &Series) -> impl Iterator<Item = (f64, f64)> + '_ {
    s.points.iter().copied().filter(|(x, y)| x.is_finite() && y.is_finite())
}

/// The padded range of some values, never empty.
fn range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if !lo.is_finite() || !hi.is_finite() {
        return (0.0, 1.0);
    }
    let pad = if hi > lo { 0.05 * (hi - lo) } else { 0.5 * lo.abs().max(1e-12) };
    (lo - pad, hi + pad)
}

fn draw_panel(area: &DrawingArea<SVGBackend, Shift>, panel: &Panel, x_label: &str) -> Result<(), PlotError> {
    let (x0, x1) = range(panel.series.iter().flat_map(|s| finite_points(s).map(|p| p.0)));
    let (y0, y1) = range(panel.series.iter().flat_map(|s| finite_points(s).map(|p| p.1)).chain(panel.rule));
    let mut chart = ChartBuilder::on(area)
        .margin(8)
        .x_label_area_size(30)
        .y_label_area_size(70)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(draw_err)?;
    chart
        .configure_mesh()
        .x_desc(x_label)
        .y_desc(panel.title.as_str())
        .light_line_style(TRANSPARENT)
        .draw()
        .map_err(draw_err)?;
    for (i, band) in panel.bands.iter().enumerate() {
        let color = BAND_COLORS[i % BAND_COLORS.len()];
        let rect = Rectangle::new([(band.from.max(x0), y0), (band.to.min(x1), y1)], color.mix(0.45).filled());
        chart.draw_series(std::iter::once(rect)).map_err(draw_err)?;
        let at = (band.from.max(x0), y1 - 0.02 * (y1 - y0));
        let label = Text::new(band.label.clone(), at, ("sans-serif", 13).into_font().color(&BLACK));
        chart.draw_series(std::iter::once(label)).map_err(draw_err)?;
    }
    if let Some(y) = panel.rule {
        chart.draw_series(LineSeries::new([(x0, y), (x1, y)], BLACK.mix(0.5))).map_err(draw_err)?;
    }
    for (i, s) in panel.series.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let drawn = match s.style {
            Style::Line => chart.draw_series(LineSeries::new(finite_points(s), color.stroke_width(2))),
            Style::Dots => chart.draw_series(finite_points(s).map(|p| Circle::new(p, 2, color.mix(0.6).filled()))),
        };
        drawn
            .map_err(draw_err)?
            .label(s.name.clone())
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], color.stroke_width(2)));
    }
    if panel.series.len() > 1 {
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(draw_err)?;
    }
    Ok(())
}

/// A filled contour plot of `f` over a box, with `levels` contour lines and the
/// trajectories drawn on top (each starts with a dot).
pub fn contour_svg(
    title: &str,
    f: &dyn Fn(f64, f64) -> f64,
    x: (f64, f64),
    y: (f64, f64),
    levels: usize,
    trajectories: &[Series],
) -> Result<String, PlotError> {
    const GRID: usize = 40;
    let grid = sample_grid(f, x, y, GRID);
    let (lo, hi) = range(grid.iter().flatten().copied().filter(|v| v.is_finite()));
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (720, 640)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_err)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 20))
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(50)
            .build_cartesian_2d(x.0..x.1, y.0..y.1)
            .map_err(draw_err)?;
        chart.configure_mesh().disable_mesh().x_desc("x").y_desc("y").draw().map_err(draw_err)?;
        let (dx, dy) = ((x.1 - x.0) / GRID as f64, (y.1 - y.0) / GRID as f64);
        // Cells are shaded by the band between two contour levels they fall in.
        let shade = |i: usize, j: usize| {
            let v = (grid[i][j] + grid[i + 1][j] + grid[i][j + 1] + grid[i + 1][j + 1]) / 4.0;
            ((((v - lo) / (hi - lo)).clamp(0.0, 1.0) * (levels + 1) as f64) as usize).min(levels)
        };
        // One rectangle per run of equally shaded cells up a column keeps the SVG small.
        let mut strips = Vec::new();
        for i in 0..GRID {
            let mut j = 0;
            while j < GRID {
                let k = shade(i, j);
                let start = j;
                while j < GRID && shade(i, j) == k {
                    j += 1;
                }
                let (cx, cy) = (x.0 + i as f64 * dx, y.0 + start as f64 * dy);
                let color = heat((k as f64 + 0.5) / (levels + 1) as f64);
                strips.push(Rectangle::new([(cx, cy), (cx + dx, y.0 + j as f64 * dy)], color.filled()));
            }
        }
        chart.draw_series(strips).map_err(draw_err)?;
        for k in 1..=levels {
            let level = lo + (hi - lo) * k as f64 / (levels + 1) as f64;
            let lines = chain(marching_squares(&grid, level, x, y));
            chart.draw_series(lines.into_iter().map(|l| PathElement::new(l, BLACK.mix(0.35)))).map_err(draw_err)?;
        }
        for (i, s) in trajectories.iter().enumerate() {
            let color = PALETTE[(i + 1) % PALETTE.len()];
            let inside = |p: &(f64, f64)| p.0 >= x.0 && p.0 <= x.1 && p.1 >= y.0 && p.1 <= y.1;
            let pts: Vec<(f64, f64)> = finite_points(s).filter(inside).collect();
            chart
                .draw_series(LineSeries::new(pts.iter().copied(), color.stroke_width(2)))
                .map_err(draw_err)?
                .label(s.name.clone())
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], color.stroke_width(2)));
            if let Some(&p) = pts.first() {
                chart.draw_series(std::iter::once(Circle::new(p, 4, color.filled()))).map_err(draw_err)?;
            }
        }
        if !trajectories.is_empty() {
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperLeft)
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK)
                .draw()
                .map_err(draw_err)?;
        }
        root.present().map_err(draw_err)?;
    }
    Ok(svg)
}

fn sample_grid(f: &dyn Fn(f64, f64) -> f64, x: (f64, f64), y: (f64, f64), n: usize) -> Vec<Vec<f64>> {
    (0..=n)
        .map(|i| {
            let xi = x.0 + (x.1 - x.0) * i as f64 / n as f64;
            (0..=n).map(|j| f(xi, y.0 + (y.1 - y.0) * j as f64 / n as f64)).collect()
        })
        .collect()
}

/// A light blue-to-orange ramp for values in [0, 1].
fn heat(t: f64) -> RGBColor {
    let lerp = |a: f64, b: f64| (a + (b - a) * t).round() as u8;
    RGBColor(lerp(198.0, 253.0), lerp(219.0, 208.0), lerp(239.0, 162.0))
}

type Segment = ((f64, f64), (f64, f64));

/// Contour segments of `grid` (values at (x_i, y_j)) at `level`, one cell at a time.
fn marching_squares(grid: &[Vec<f64>], level: f64, x: (f64, f64), y: (f64, f64)) -> Vec<Segment> {
    let n = grid.len() - 1;
    let (dx, dy) = ((x.1 - x.0) / n as f64, (y.1 - y.0) / n as f64);
    let mut out = Vec::new();
    for i in 0..n {
        for j in 0..n {
            // Corners counter-clockwise from (i, j); an edge is crossed where its ends
            // lie on opposite sides of the level.
            let c = [(i, j), (i + 1, j), (i + 1, j + 1), (i, j + 1)];
            let mut hits = Vec::with_capacity(4);
            for k in 0..4 {
                let (a, b) = (c[k], c[(k + 1) % 4]);
                let (va, vb) = (grid[a.0][a.1], grid[b.0][b.1]);
                if (va < level) != (vb < level) && va.is_finite() && vb.is_finite() {
                    let t = (level - va) / (vb - va);
                    let px = x.0 + (a.0 as f64 + t * (b.0 as f64 - a.0 as f64)) * dx;
                    let py = y.0 + (a.1 as f64 + t * (b.1 as f64 - a.1 as f64)) * dy;
                    hits.push((px, py));
                }
            }
            for pair in hits.chunks_exact(2) {
                out.push((pair[0], pair[1]));
            }
        }
    }
    out
}

/// Joins segments that share end points into polylines (a contour line is drawn
/// once instead of one segment per grid cell). End points match after rounding,
/// since neighbouring cells compute a shared crossing from opposite corners.
fn chain(segments: Vec<Segment>) -> Vec<Vec<(f64, f64)>> {
    use std::collections::HashMap;
    let key = |p: (f64, f64)| ((p.0 * 1e9).round() as i64, (p.1 * 1e9).round() as i64);
    let mut at: HashMap<(i64, i64), Vec<usize>> = HashMap::new();
    for (i, s) in segments.iter().enumerate() {
        at.entry(key(s.0)).or_default().push(i);
        at.entry(key(s.1)).or_default().push(i);
    }
    let mut used = vec![false; segments.len()];
    let mut lines = Vec::new();
    for first in 0..segments.len() {
        if used[first] {
            continue;
        }
        used[first] = true;
        let mut line = std::collections::VecDeque::from([segments[first].0, segments[first].1]);
        // Grow the line at its back, then at its front, while a free segment touches it.
        for back in [true, false] {
            loop {
                let end = if back { line.back() } else { line.front() };
                let Some(&end) = end else { break };
                let next = at.get(&key(end)).and_then(|c| c.iter().copied().find(|&i| !used[i]));
                let Some(i) = next else { break };
                used[i] = true;
                let s = segments[i];
                let other = if key(s.0) == key(end) { s.1 } else { s.0 };
                if back {
                    line.push_back(other);
                } else {
                    line.push_front(other);
                }
            }
        }
        lines.push(line.into_iter().collect());
    }
    lines
}

/// A one-line terminal chart of `values` resampled to `width` characters.
pub fn sparkline(values: &[f64], width: usize) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if finite.is_empty() || width == 0 {
        return String::new();
    }
    let (lo, hi) = finite.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
    let n = finite.len();
    (0..width.min(n))
        .map(|k| {
            let v = finite[k * n / width.min(n)];
            let t = if hi > lo { (v - lo) / (hi - lo) } else { 0.5 };
            BARS[((t * 7.0).round() as usize).min(7)]
        })
        .collect()
}

/// Panels as text for a terminal: the title, then one line per series with its
/// y-axis label, a sparkline of `width` characters, and its first and last values.
pub fn panels_text(title: &str, panels: &[Panel], width: usize) -> String {
    let rows: Vec<(String, &Series)> = panels
        .iter()
        .flat_map(|p| {
            p.series.iter().map(move |s| {
                let label = if p.series.len() > 1 { format!("{} ({})", p.title, s.name) } else { p.title.clone() };
                (label, s)
            })
        })
        .collect();
    let label_width = rows.iter().map(|(l, _)| l.chars().count()).max().unwrap_or(0);
    let lines: Vec<(String, String, f64, f64)> = rows
        .into_iter()
        .filter_map(|(label, s)| {
            let ys: Vec<f64> = finite_points(s).map(|p| p.1).collect();
            Some((label, sparkline(&ys, width), *ys.first()?, *ys.last()?))
        })
        .collect();
    let spark_width = lines.iter().map(|l| l.1.chars().count()).max().unwrap_or(0);
    let mut out = format!("{title}\n");
    for (label, line, first, last) in lines {
        let _ = writeln!(out, "  {label:<label_width$}  {line:<spark_width$}  {} -> {}", short(first), short(last));
    }
    out
}

/// A number in at most about 9 characters: fixed point when it reads well, else scientific.
pub fn short(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 || (1e-3..1e5).contains(&a) {
        format!("{v:.4}")
    } else {
        format!("{v:.3e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparkline_spans_the_range() {
        assert_eq!(sparkline(&[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0], 8), "▁▂▃▄▅▆▇█");
        assert_eq!(sparkline(&[], 5), "");
        assert_eq!(sparkline(&[2.0, 2.0], 4), "▅▅");
    }

    #[test]
    fn panels_render_to_svg() {
        let series = Series::line("d", (0..50).map(|i| (i as f64, (i as f64).sin())).collect());
        let panel = Panel {
            title: "sin".into(),
            series: vec![series],
            bands: vec![Band { from: 0.0, to: 10.0, label: "Phase I".into() }],
            rule: Some(0.0),
        };
        let svg = panels_svg("test", "step", std::slice::from_ref(&panel), 600).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("Phase I") && svg.contains("<polyline"));
        let text = panels_text("test", &[panel], 8);
        assert_eq!(text.lines().count(), 2, "{text}");
        assert!(text.starts_with("test\n  sin  ") && text.ends_with("0.0000 -> -0.9538\n"), "{text}");
    }

    #[test]
    fn dots_draw_circles() {
        let panel = Panel {
            title: "v".into(),
            series: vec![Series::dots("v", vec![(1.0, 2.0), (2.0, 1.0)])],
            ..Panel::default()
        };
        let svg = panels_svg("dots", "evaluation", &[panel], 600).unwrap();
        assert_eq!(svg.matches("<circle").count(), 2, "{svg}");
    }

    #[test]
    fn contour_lines_cross_the_saddle() {
        let f = |x: f64, y: f64| x * x - y * y;
        let traj = Series::line("gd", vec![(1.0, 0.1), (0.5, 0.2)]);
        let svg = contour_svg("saddle", &f, (-1.0, 1.0), (-1.0, 1.0), 5, &[traj]).unwrap();
        assert!(svg.contains("<svg") && svg.contains("saddle"));
        let grid = sample_grid(&f, (-1.0, 1.0), (-1.0, 1.0), 4);
        let segments = marching_squares(&grid, 0.5, (-1.0, 1.0), (-1.0, 1.0));
        assert!(!segments.is_empty());
        // x^2 - y^2 = 0.5 is two branches: the segments join into two polylines.
        let n = segments.len();
        let lines = chain(segments);
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert_eq!(lines.iter().map(|l| l.len() - 1).sum::<usize>(), n);
    }
}
