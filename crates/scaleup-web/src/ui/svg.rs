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

/// Horizontal bars of shares (0 to 1), one a row with its label and its figure as text: the
/// coverage cascade, reach by subgroup. A bar without a value (withheld, or undefined) is drawn
/// empty with its text ("<5", "–"), so a hidden figure never looks like zero.
pub fn share_bars(title: &str, rows: &[(String, Option<f64>, String)]) -> String {
    const W: f64 = 320.0;
    const ROW: f64 = 34.0;
    let h = ROW * rows.len().max(1) as f64;
    let mut out = format!(
        r#"<svg class="hbars" viewBox="0 0 {W} {h}" role="img"><title>{}: {}</title>"#,
        esc(title),
        rows.iter()
            .map(|(l, _, t)| format!("{} {}", esc(l), esc(t)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    for (i, (label, value, text)) in rows.iter().enumerate() {
        let y = i as f64 * ROW;
        let width = value.map_or(0.0, |v| v.clamp(0.0, 1.0) * (W - 60.0));
        out.push_str(&format!(
            r#"<text x="0" y="{:.1}">{}</text><rect class="track" x="0" y="{:.1}" width="{:.1}" height="10"/><rect x="0" y="{:.1}" width="{width:.1}" height="10"/><text x="{:.1}" y="{:.1}">{}</text>"#,
            y + 12.0,
            esc(label),
            y + 17.0,
            W - 60.0,
            y + 17.0,
            W - 54.0,
            y + 26.0,
            esc(text)
        ));
    }
    out.push_str("</svg>");
    out
}

/// Columns of counts over time (months), each labelled; a withheld or missing count is drawn
/// as its text without a column.
pub fn count_columns(title: &str, cols: &[(String, Option<f64>, String)]) -> String {
    const W: f64 = 320.0;
    const H: f64 = 120.0;
    let max = cols
        .iter()
        .filter_map(|c| c.1)
        .fold(0.0_f64, f64::max)
        .max(1.0);
    let slot = W / cols.len().max(1) as f64;
    let mut out = format!(
        r#"<svg class="bars" viewBox="0 0 {W} {H}" role="img"><title>{}: {}</title>"#,
        esc(title),
        cols.iter()
            .map(|(l, _, t)| format!("{} {}", esc(l), esc(t)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    for (i, (label, value, text)) in cols.iter().enumerate() {
        let h = value.map_or(0.0, |v| v.max(0.0) / max * (H - 36.0));
        let x = i as f64 * slot + slot * 0.15;
        let mid = x + slot * 0.35;
        out.push_str(&format!(
            r#"<rect x="{x:.1}" y="{:.1}" width="{:.1}" height="{h:.1}"/><text x="{mid:.1}" y="{:.1}" text-anchor="middle">{}</text><text x="{mid:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            H - 20.0 - h,
            slot * 0.7,
            H - 24.0 - h,
            esc(text),
            H - 6.0,
            esc(label)
        ));
    }
    out.push_str("</svg>");
    out
}

/// Columns of shares over time (months) on a fixed 0-100 % scale, each labelled, with the
/// target drawn as a dashed line across them and named in the title. A withheld or missing
/// share is drawn as its text without a column, never as zero.
pub fn share_columns(
    title: &str,
    cols: &[(String, Option<f64>, String)],
    target: Option<(f64, &str)>,
) -> String {
    const W: f64 = 320.0;
    const H: f64 = 130.0;
    // Room above the columns for the figures, below for the month labels.
    const TOP: f64 = 16.0;
    const BOTTOM: f64 = 20.0;
    let plot = H - TOP - BOTTOM;
    let y = |share: f64| H - BOTTOM - share.clamp(0.0, 1.0) * plot;
    let slot = W / cols.len().max(1) as f64;
    let mut out = format!(
        r#"<svg class="bars" viewBox="0 0 {W} {H}" role="img"><title>{}{}: {}</title>"#,
        esc(title),
        target.map_or_else(String::new, |(_, t)| format!(" ({})", esc(t))),
        cols.iter()
            .map(|(l, _, t)| format!("{} {}", esc(l), esc(t)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    for (i, (label, value, text)) in cols.iter().enumerate() {
        let top = value.map_or(H - BOTTOM, y);
        let x = i as f64 * slot + slot * 0.15;
        let mid = x + slot * 0.35;
        out.push_str(&format!(
            r#"<rect x="{x:.1}" y="{top:.1}" width="{:.1}" height="{:.1}"/><text x="{mid:.1}" y="{:.1}" text-anchor="middle">{}</text><text x="{mid:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            slot * 0.7,
            H - BOTTOM - top,
            top - 4.0,
            esc(text),
            H - 6.0,
            esc(label)
        ));
    }
    if let Some((share, _)) = target {
        out.push_str(&format!(
            r#"<line class="target" x1="0" y1="{0:.1}" x2="{W}" y2="{0:.1}"/>"#,
            y(share)
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
        let s = super::share_bars(
            "Reach",
            &[
                ("Female".into(), Some(0.5), "50%".into()),
                ("Other".into(), None, "<5".into()),
            ],
        );
        assert!(
            s.contains("<title>Reach: Female 50%, Other &lt;5</title>"),
            "{s}"
        );
        // A withheld figure draws an empty bar, never one that looks like a value.
        assert!(s.contains(r#"width="0.0" height="10""#));
        let c = super::count_columns("Screened", &[("01".into(), Some(12.0), "12".into())]);
        assert!(c.contains("Screened: 01 12"));
        // Shares against a target: the line sits at the target's height on the 0-100 % scale
        // (130 high, 16 above and 20 below the plot: 70 % is at 130 - 20 - 0.7 × 94 = 44.2).
        let t = super::share_columns(
            "Completion",
            &[
                ("01".into(), Some(0.5), "50%".into()),
                ("02".into(), None, "<5".into()),
            ],
            Some((0.7, "target at least 70%")),
        );
        assert!(
            t.contains("<title>Completion (target at least 70%): 01 50%, 02 &lt;5</title>"),
            "{t}"
        );
        assert!(
            t.contains(r#"<line class="target" x1="0" y1="44.2""#),
            "{t}"
        );
        assert!(
            t.contains(r#"height="0.0""#),
            "a withheld month draws no column: {t}"
        );
    }
}
