//! Small hand-written SVG charts: scatter (cost-effectiveness plane), lines (CEAC) and
//! tornado bars. Each function returns a self-contained SVG document as a string; nothing here
//! touches the file system.
//!
//! Charts are deliberately plain: fixed size, a shared colour palette, "nice" axis ticks and
//! XML-escaped labels. Other modules (budget impact, planner) can reuse [`scatter`] and
//! [`lines`] for their own series.

use std::fmt::Write as _;

/// A named series of (x, y) points.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// Legend label.
    pub name: String,
    /// Points in plot units.
    pub points: Vec<(f64, f64)>,
}

/// One tornado bar: the outcome at a parameter's low and high values.
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    /// Parameter label.
    pub label: String,
    /// Outcome with the parameter at its low value.
    pub at_low: f64,
    /// Outcome with the parameter at its high value.
    pub at_high: f64,
}

/// Colour-blind-safe palette (Okabe–Ito), cycled by series index.
pub const PALETTE: [&str; 8] = [
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000",
];

const W: f64 = 720.0;
const H: f64 = 460.0;
const LEFT: f64 = 90.0;
const RIGHT: f64 = 170.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 60.0;

/// Escapes text for XML content and attributes.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// About `target` evenly spaced round tick values covering [lo, hi].
pub fn nice_ticks(lo: f64, hi: f64, target: usize) -> Vec<f64> {
    let (lo, hi) = if (hi - lo).abs() < 1e-300 || !(hi - lo).is_finite() {
        (lo - 1.0, lo + 1.0)
    } else {
        (lo, hi)
    };
    let raw = (hi - lo) / target.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let start = (lo / step).floor() as i64;
    let end = (hi / step).ceil() as i64;
    // Round away binary noise (3 × 0.2 = 0.6000000000000001) so labels and tests are clean.
    let digits = (-(step.log10().floor()) as i32 + 1).clamp(0, 15);
    let f = 10f64.powi(digits);
    (start..=end)
        .map(|i| (i as f64 * step * f).round() / f)
        .collect()
}

struct Frame {
    x0: f64,
    x1: f64,
    y0: f64,
    y1: f64,
}

impl Frame {
    fn px(&self, x: f64) -> f64 {
        LEFT + (x - self.x0) / (self.x1 - self.x0) * (W - LEFT - RIGHT)
    }
    fn py(&self, y: f64) -> f64 {
        H - BOTTOM - (y - self.y0) / (self.y1 - self.y0) * (H - TOP - BOTTOM)
    }
}

fn header(out: &mut String, title: &str) {
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" font-family="sans-serif" font-size="12">"#
    );
    let _ = write!(
        out,
        r#"<rect width="{W}" height="{H}" fill="white"/><text x="{}" y="22" text-anchor="middle" font-size="15">{}</text>"#,
        W / 2.0,
        escape(title)
    );
}

/// Draws axes with ticks and labels; returns the frame mapping data to pixels.
fn axes(out: &mut String, xr: (f64, f64), yr: (f64, f64), x_label: &str, y_label: &str) -> Frame {
    let xt = nice_ticks(xr.0, xr.1, 6);
    let yt = nice_ticks(yr.0, yr.1, 6);
    let f = Frame {
        x0: xt[0],
        x1: *xt.last().unwrap(),
        y0: yt[0],
        y1: *yt.last().unwrap(),
    };
    for &x in &xt {
        let p = f.px(x);
        let _ = write!(
            out,
            r##"<line x1="{p:.1}" y1="{:.1}" x2="{p:.1}" y2="{:.1}" stroke="#e5e5e5"/><text x="{p:.1}" y="{:.1}" text-anchor="middle">{}</text>"##,
            TOP,
            H - BOTTOM,
            H - BOTTOM + 16.0,
            scaleup_format::tick(x)
        );
    }
    for &y in &yt {
        let p = f.py(y);
        let _ = write!(
            out,
            r##"<line x1="{LEFT}" y1="{p:.1}" x2="{:.1}" y2="{p:.1}" stroke="#e5e5e5"/><text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"##,
            W - RIGHT,
            LEFT - 6.0,
            p + 4.0,
            scaleup_format::tick(y)
        );
    }
    let _ = write!(
        out,
        r##"<rect x="{LEFT}" y="{TOP}" width="{:.1}" height="{:.1}" fill="none" stroke="#333"/>"##,
        W - LEFT - RIGHT,
        H - TOP - BOTTOM
    );
    let _ = write!(
        out,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
        LEFT + (W - LEFT - RIGHT) / 2.0,
        H - 18.0,
        escape(x_label)
    );
    let _ = write!(
        out,
        r#"<text transform="translate(20,{:.1}) rotate(-90)" text-anchor="middle">{}</text>"#,
        TOP + (H - TOP - BOTTOM) / 2.0,
        escape(y_label)
    );
    f
}

fn legend(out: &mut String, names: &[&str]) {
    for (i, n) in names.iter().enumerate() {
        let y = TOP + 10.0 + i as f64 * 18.0;
        let _ = write!(
            out,
            r#"<rect x="{:.1}" y="{:.1}" width="12" height="12" fill="{}"/><text x="{:.1}" y="{:.1}">{}</text>"#,
            W - RIGHT + 12.0,
            y - 10.0,
            PALETTE[i % PALETTE.len()],
            W - RIGHT + 30.0,
            y,
            escape(n)
        );
    }
}

fn range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if lo > hi { (0.0, 1.0) } else { (lo, hi) }
}

/// Scatter plot, one colour per series; `marks` are drawn as larger outlined markers (for
/// example the mean of each strategy on a cost-effectiveness plane), in series colours.
pub fn scatter(
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series],
    marks: &[(f64, f64)],
) -> String {
    let all = || {
        series
            .iter()
            .flat_map(|s| s.points.iter().copied())
            .chain(marks.iter().copied())
    };
    let xr = range(all().map(|p| p.0));
    let yr = range(all().map(|p| p.1));
    let mut out = String::new();
    header(&mut out, title);
    let f = axes(&mut out, xr, yr, x_label, y_label);
    for (i, s) in series.iter().enumerate() {
        let c = PALETTE[i % PALETTE.len()];
        let _ = write!(out, r#"<g fill="{c}" fill-opacity="0.35">"#);
        for &(x, y) in &s.points {
            if x.is_finite() && y.is_finite() {
                let _ = write!(
                    out,
                    r#"<circle cx="{:.1}" cy="{:.1}" r="2"/>"#,
                    f.px(x),
                    f.py(y)
                );
            }
        }
        out.push_str("</g>");
    }
    for (i, &(x, y)) in marks.iter().enumerate() {
        let _ = write!(
            out,
            r##"<circle cx="{:.1}" cy="{:.1}" r="6" fill="{}" stroke="#000" stroke-width="1.5"/>"##,
            f.px(x),
            f.py(y),
            PALETTE[i % PALETTE.len()]
        );
    }
    legend(
        &mut out,
        &series.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
    );
    out.push_str("</svg>\n");
    out
}

/// Line chart, one polyline per series; `y_range` fixes the y axis (for example (0, 1) for a
/// CEAC).
pub fn lines(
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series],
    y_range: Option<(f64, f64)>,
) -> String {
    let xr = range(series.iter().flat_map(|s| s.points.iter().map(|p| p.0)));
    let yr =
        y_range.unwrap_or_else(|| range(series.iter().flat_map(|s| s.points.iter().map(|p| p.1))));
    let mut out = String::new();
    header(&mut out, title);
    let f = axes(&mut out, xr, yr, x_label, y_label);
    for (i, s) in series.iter().enumerate() {
        let pts: Vec<String> = s
            .points
            .iter()
            .filter(|p| p.0.is_finite() && p.1.is_finite())
            .map(|&(x, y)| format!("{:.1},{:.1}", f.px(x), f.py(y)))
            .collect();
        let _ = write!(
            out,
            r#"<polyline points="{}" fill="none" stroke="{}" stroke-width="2"/>"#,
            pts.join(" "),
            PALETTE[i % PALETTE.len()]
        );
    }
    legend(
        &mut out,
        &series.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
    );
    out.push_str("</svg>\n");
    out
}

/// Tornado diagram: bars sorted by swing (widest on top) around the base-case value `base`.
/// Blue marks the part of the bar from the low parameter value, orange from the high one.
pub fn tornado(title: &str, x_label: &str, base: f64, bars: &[Bar]) -> String {
    let mut bars: Vec<&Bar> = bars.iter().collect();
    bars.sort_by(|a, b| {
        let sa = (a.at_high - a.at_low).abs();
        let sb = (b.at_high - b.at_low).abs();
        sb.partial_cmp(&sa).unwrap_or(std::cmp::Ordering::Equal)
    });
    let xr = range(
        bars.iter()
            .flat_map(|b| [b.at_low, b.at_high])
            .chain(std::iter::once(base)),
    );
    let xt = nice_ticks(xr.0, xr.1, 6);
    let f = Frame {
        x0: xt[0],
        x1: *xt.last().unwrap(),
        y0: 0.0,
        y1: 1.0,
    };
    let mut out = String::new();
    header(&mut out, title);
    let plot_h = H - TOP - BOTTOM;
    let row = plot_h / bars.len().max(1) as f64;
    for &x in &xt {
        let p = f.px(x);
        let _ = write!(
            out,
            r##"<line x1="{p:.1}" y1="{TOP}" x2="{p:.1}" y2="{:.1}" stroke="#e5e5e5"/><text x="{p:.1}" y="{:.1}" text-anchor="middle">{}</text>"##,
            H - BOTTOM,
            H - BOTTOM + 16.0,
            scaleup_format::tick(x)
        );
    }
    let bx = f.px(base);
    for (i, b) in bars.iter().enumerate() {
        let y = TOP + i as f64 * row + row * 0.15;
        let h = row * 0.7;
        for (v, colour) in [(b.at_low, PALETTE[0]), (b.at_high, PALETTE[1])] {
            let p = f.px(v);
            let _ = write!(
                out,
                r#"<rect x="{:.1}" y="{y:.1}" width="{:.1}" height="{h:.1}" fill="{colour}" fill-opacity="0.8"/>"#,
                p.min(bx),
                (p - bx).abs().max(0.5)
            );
        }
        let _ = write!(
            out,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            LEFT - 6.0,
            y + h / 2.0 + 4.0,
            escape(&b.label)
        );
    }
    let _ = write!(
        out,
        r##"<line x1="{bx:.1}" y1="{TOP}" x2="{bx:.1}" y2="{:.1}" stroke="#000" stroke-width="1.5"/>"##,
        H - BOTTOM
    );
    let _ = write!(
        out,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
        LEFT + (W - LEFT - RIGHT) / 2.0,
        H - 18.0,
        escape(x_label)
    );
    legend(&mut out, &["low value", "high value"]);
    out.push_str("</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_cover_range() {
        assert_eq!(nice_ticks(0.0, 1.0, 5), vec![0.0, 0.2, 0.4, 0.6, 0.8, 1.0]);
        let t = nice_ticks(-1234.0, 5678.0, 6);
        assert!(t[0] <= -1234.0 && *t.last().unwrap() >= 5678.0);
        assert!(nice_ticks(3.0, 3.0, 5).len() >= 2);
    }

    #[test]
    fn charts_are_well_formed_and_escaped() {
        let s = vec![
            Series {
                name: "A & B <x>".into(),
                points: vec![(0.0, 1.0), (1.0, 2.0)],
            },
            Series {
                name: "C".into(),
                points: vec![(0.5, f64::NAN)],
            },
        ];
        for svg in [
            scatter("t", "x", "y", &s, &[(0.5, 1.5)]),
            lines("t", "x", "y", &s, Some((0.0, 1.0))),
            tornado(
                "t",
                "x",
                0.0,
                &[Bar {
                    label: "p".into(),
                    at_low: -1.0,
                    at_high: 2.0,
                }],
            ),
        ] {
            assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
            assert!(!svg.contains("NaN") && !svg.contains("A & B"));
            assert_eq!(svg.matches("<svg").count(), 1);
        }
        assert!(scatter("t", "x", "y", &s, &[]).contains("A &amp; B &lt;x&gt;"));
    }

    #[test]
    fn tornado_sorts_by_swing() {
        let svg = tornado(
            "t",
            "x",
            0.0,
            &[
                Bar {
                    label: "narrow".into(),
                    at_low: -1.0,
                    at_high: 1.0,
                },
                Bar {
                    label: "wide".into(),
                    at_low: -5.0,
                    at_high: 5.0,
                },
            ],
        );
        assert!(svg.find(">wide<").unwrap() < svg.find(">narrow<").unwrap());
    }
}
