//! Small hand-written SVG charts and a self-contained HTML page shell for the planner, budget
//! impact and ROI reports. No scripts, no external stylesheets: the output opens offline.

use std::fmt::Write;

const PALETTE: [&str; 8] = [
    "#1b6ca8", "#d1495b", "#2a9d8f", "#edae49", "#6a4c93", "#8d6e63", "#00798c", "#3d405b",
];

/// One named series of y values, aligned with the chart's x labels.
#[derive(Debug, Clone)]
pub struct Series {
    /// Legend label.
    pub name: String,
    /// Values (non-finite values are skipped).
    pub values: Vec<f64>,
}

/// Escapes text for XML and HTML.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Vertical axis: [lo, hi] with a tick step; lo ≤ 0 ≤ hi so bars grow from the zero line and
/// negative values (savings, negative impacts) are drawn below it.
#[derive(Clone, Copy)]
struct Axis {
    lo: f64,
    hi: f64,
    step: f64,
}

impl Axis {
    fn new(series: &[Series]) -> Axis {
        let vals = series
            .iter()
            .flat_map(|s| s.values.iter().copied())
            .filter(|v| v.is_finite());
        let (min, max) = vals.fold((0.0f64, 0.0f64), |(a, b), v| (a.min(v), b.max(v)));
        let (_, step) = nice_axis(max - min);
        let lo = (min / step).floor() * step;
        let hi = ((max / step).ceil() * step).max(lo + step);
        Axis { lo, hi, step }
    }

    /// Pixel y of value v.
    fn y(&self, v: f64) -> f64 {
        let ph = H - TOP - BOTTOM;
        TOP + ph - (v.clamp(self.lo, self.hi) - self.lo) / (self.hi - self.lo) * ph
    }
}

/// A "nice" axis maximum and tick step (1, 2 or 5 × 10^k) covering `max`.
fn nice_axis(max: f64) -> (f64, f64) {
    if !max.is_finite() || max <= 0.0 {
        return (1.0, 0.25);
    }
    let raw = max / 5.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    ((max / step).ceil() * step, step)
}

const W: f64 = 640.0;
const H: f64 = 300.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 32.0;
const BOTTOM: f64 = 64.0;

fn frame(out: &mut String, title: &str, x_labels: &[String], axis: Axis, y_label: &str) {
    let pw = W - LEFT - RIGHT;
    let ph = H - TOP - BOTTOM;
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" height="{H}" role="img" font-family="sans-serif" font-size="11"><title>{t}</title><text x="{LEFT}" y="18" font-size="13" font-weight="bold">{t}</text>"#,
        t = esc(title)
    );
    let ticks = ((axis.hi - axis.lo) / axis.step).round() as usize;
    for i in 0..=ticks {
        let v = axis.lo + i as f64 * axis.step;
        let y = axis.y(v);
        let _ = write!(
            out,
            r##"<line x1="{LEFT}" x2="{x2}" y1="{y:.1}" y2="{y:.1}" stroke="#ddd"/><text x="{lx}" y="{ty:.1}" text-anchor="end">{l}</text>"##,
            x2 = LEFT + pw,
            lx = LEFT - 6.0,
            ty = y + 4.0,
            l = scaleup_format::tick(v)
        );
    }
    let n = x_labels.len().max(1);
    for (i, l) in x_labels.iter().enumerate() {
        let x = LEFT + (i as f64 + 0.5) * pw / n as f64;
        let _ = write!(
            out,
            r#"<text x="{x:.1}" y="{y}" text-anchor="middle">{l}</text>"#,
            y = TOP + ph + 16.0,
            l = esc(l)
        );
    }
    let _ = write!(
        out,
        r#"<text transform="translate(14 {y}) rotate(-90)" text-anchor="middle">{l}</text>"#,
        y = TOP + ph / 2.0,
        l = esc(y_label)
    );
}

fn legend(out: &mut String, series: &[Series]) {
    let mut x = LEFT;
    let y = H - 18.0;
    for (i, s) in series.iter().enumerate() {
        let c = PALETTE[i % PALETTE.len()];
        let _ = write!(
            out,
            r#"<rect x="{x:.1}" y="{ry}" width="10" height="10" fill="{c}"/><text x="{tx:.1}" y="{y}">{n}</text>"#,
            ry = y - 9.0,
            tx = x + 14.0,
            n = esc(&s.name)
        );
        x += 24.0 + 6.5 * s.name.chars().count() as f64;
    }
}

/// A line chart with one line per series over categorical x labels (years).
pub fn line_chart(title: &str, y_label: &str, x_labels: &[String], series: &[Series]) -> String {
    let axis = Axis::new(series);
    let mut out = String::new();
    frame(&mut out, title, x_labels, axis, y_label);
    let pw = W - LEFT - RIGHT;
    let n = x_labels.len().max(1) as f64;
    for (i, s) in series.iter().enumerate() {
        let c = PALETTE[i % PALETTE.len()];
        let pts: Vec<String> = s
            .values
            .iter()
            .enumerate()
            .filter(|(_, v)| v.is_finite())
            .map(|(j, v)| format!("{:.1},{:.1}", LEFT + (j as f64 + 0.5) * pw / n, axis.y(*v)))
            .collect();
        let _ = write!(
            out,
            r#"<polyline fill="none" stroke="{c}" stroke-width="2" points="{}"/>"#,
            pts.join(" ")
        );
        for p in &pts {
            let (x, y) = p.split_once(',').unwrap_or(("0", "0"));
            let _ = write!(out, r#"<circle cx="{x}" cy="{y}" r="3" fill="{c}"/>"#);
        }
    }
    legend(&mut out, series);
    out.push_str("</svg>");
    out
}

/// A grouped bar chart: for each x label, one bar per series.
pub fn bar_chart(title: &str, y_label: &str, x_labels: &[String], series: &[Series]) -> String {
    let axis = Axis::new(series);
    let mut out = String::new();
    frame(&mut out, title, x_labels, axis, y_label);
    let pw = W - LEFT - RIGHT;
    let n = x_labels.len().max(1) as f64;
    let group = pw / n;
    let k = series.len().max(1) as f64;
    let bar = group * 0.8 / k;
    for (i, s) in series.iter().enumerate() {
        let c = PALETTE[i % PALETTE.len()];
        for (j, v) in s.values.iter().enumerate() {
            if !v.is_finite() {
                continue;
            }
            let (y0, y1) = (axis.y(0.0), axis.y(*v));
            let h = (y0 - y1).abs();
            let x = LEFT + j as f64 * group + group * 0.1 + i as f64 * bar;
            let _ = write!(
                out,
                r#"<rect x="{x:.1}" y="{y:.1}" width="{bar:.1}" height="{h:.1}" fill="{c}"><title>{n}: {v}</title></rect>"#,
                y = y0.min(y1),
                n = esc(&s.name),
                v = scaleup_format::value(*v)
            );
        }
    }
    legend(&mut out, series);
    out.push_str("</svg>");
    out
}

/// An HTML table from a header and rows of already-formatted cells (escaped here).
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = String::from("<table><thead><tr>");
    for h in header {
        let _ = write!(out, "<th>{}</th>", esc(h));
    }
    out.push_str("</tr></thead><tbody>");
    for r in rows {
        out.push_str("<tr>");
        for c in r {
            let _ = write!(out, "<td>{}</td>", esc(c));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
    out
}

/// A complete self-contained HTML page around `body` (already HTML).
pub fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title>\
<style>body{{font-family:sans-serif;margin:2em;max-width:72em;color:#222}}\
table{{border-collapse:collapse;margin:0.5em 0 1.5em}}th,td{{border:1px solid #ccc;padding:2px 8px;text-align:right}}\
th{{background:#f3f3f3}}td:first-child,th:first-child{{text-align:left}}.charts svg{{margin:0 1em 1em 0}}\
.note{{color:#555;font-size:0.9em}}</style></head><body><h1>{t}</h1>\n{body}\n</body></html>\n",
        t = esc(title)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_are_self_contained_svg() {
        let x = vec!["2025".to_string(), "2026".to_string()];
        let s = vec![Series {
            name: "A & B".into(),
            values: vec![1.0, 2.5],
        }];
        for svg in [line_chart("t", "y", &x, &s), bar_chart("t", "y", &x, &s)] {
            assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
            assert!(svg.contains("A &amp; B"));
            assert!(!svg.contains("<script"));
        }
    }

    #[test]
    fn axis_steps_and_zero_line() {
        assert_eq!(nice_axis(54.0), (60.0, 20.0));
        let a = Axis::new(&[Series {
            name: "x".into(),
            values: vec![-30.0, 54.0],
        }]);
        assert_eq!((a.lo, a.hi, a.step), (-40.0, 60.0, 20.0));
        assert!((a.y(0.0) - (TOP + (H - TOP - BOTTOM) * 0.6)).abs() < 1e-9);
    }
}
