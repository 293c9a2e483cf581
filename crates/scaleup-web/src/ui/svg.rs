//! Small inline SVG charts for the pages: no library, no request, readable by a screen reader
//! through their `<title>`.

/// Escapes text for SVG/XML.
fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A line of scores over time. `points` are (day number, value, label) in time order; `range`
/// is the instrument's scale, so a fall reads the same on every chart.
pub fn trend(title: &str, points: &[(i64, f64)], range: (f64, f64)) -> String {
    const W: f64 = 300.0;
    const H: f64 = 120.0;
    const P: f64 = 24.0;
    if points.is_empty() {
        return String::new();
    }
    let x0 = points[0].0 as f64;
    let x1 = (points[points.len() - 1].0 as f64).max(x0 + 1.0);
    let x = |d: i64| P + (d as f64 - x0) / (x1 - x0) * (W - 2.0 * P);
    let span = if range.1 > range.0 {
        range.1 - range.0
    } else {
        1.0
    };
    let y = |v: f64| H - P - (v - range.0) / span * (H - 2.0 * P);
    let values: Vec<String> = points.iter().map(|p| fmt(p.1)).collect();
    let mut out = format!(
        r#"<svg class="trend" viewBox="0 0 {W} {H}" role="img"><title>{}: {}</title><line class="axis" x1="{P}" y1="{}" x2="{}" y2="{}"/>"#,
        esc(title),
        values.join(", "),
        H - P,
        W - P,
        H - P
    );
    let line: Vec<String> = points
        .iter()
        .map(|&(d, v)| format!("{:.1},{:.1}", x(d), y(v)))
        .collect();
    out.push_str(&format!(
        r#"<polyline class="line" points="{}"/>"#,
        line.join(" ")
    ));
    for (&(d, v), label) in points.iter().zip(&values) {
        out.push_str(&format!(
            r#"<circle cx="{:.1}" cy="{:.1}" r="3"/><text x="{:.1}" y="{:.1}" text-anchor="middle">{label}</text>"#,
            x(d),
            y(v),
            x(d),
            y(v) - 6.0
        ));
    }
    out.push_str("</svg>");
    out
}

/// Bars of counts (sessions per week), labelled under each bar.
pub fn bars(title: &str, bars: &[(String, u32)]) -> String {
    const W: f64 = 300.0;
    const H: f64 = 110.0;
    let max = bars.iter().map(|b| b.1).max().unwrap_or(0).max(1) as f64;
    let n = bars.len().max(1) as f64;
    let slot = W / n;
    let mut out = format!(
        r#"<svg class="bars" viewBox="0 0 {W} {H}" role="img"><title>{}: {}</title>"#,
        esc(title),
        bars.iter()
            .map(|(l, v)| format!("{} {v}", esc(l)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    for (i, (label, value)) in bars.iter().enumerate() {
        let h = *value as f64 / max * (H - 36.0);
        let x = i as f64 * slot + slot * 0.15;
        out.push_str(&format!(
            r#"<rect x="{x:.1}" y="{:.1}" width="{:.1}" height="{h:.1}"/><text x="{:.1}" y="{:.1}" text-anchor="middle">{value}</text><text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            H - 20.0 - h,
            slot * 0.7,
            x + slot * 0.35,
            H - 24.0 - h,
            x + slot * 0.35,
            H - 6.0,
            esc(label)
        ));
    }
    out.push_str("</svg>");
    out
}

/// A number as people read it: no trailing zeros, at most one decimal.
pub fn fmt(v: f64) -> String {
    scaleup_format::up_to(v, 1)
}

#[cfg(test)]
mod tests {
    #[test]
    fn charts_escape_their_titles_and_show_every_value() {
        let svg = super::trend(
            "PHQ-9 <x>",
            &[(0, 18.0), (14, 12.0), (28, 7.5)],
            (0.0, 27.0),
        );
        assert!(svg.contains("PHQ-9 &lt;x&gt;: 18, 12, 7.5"));
        assert_eq!(svg.matches("<circle").count(), 3);
        let b = super::bars("Sessions", &[("W1".into(), 0), ("W2".into(), 4)]);
        assert_eq!(b.matches("<rect").count(), 2);
    }
}
