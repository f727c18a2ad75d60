//! The weekly recap's chart: one column per day of the week, stacked by
//! the levels the group rated (🟢 🟡 🔴), as a PNG. Drawn like the `/stats`
//! chart (`chart.rs`), with its font, colours and encoder.

use plotters::backend::BitMapBackend;
use plotters::prelude::{IntoDrawingArea, Rectangle};
use plotters::style::{Color, WHITE};

use super::chart::{encode, font, Area, ChartError, Drawn, Text, MUTED, SEGMENT_COLOURS, TEXT};
use crate::domain::schedule::recap::WEEK_DAYS;

pub const WIDTH: u32 = 600;
pub const HEIGHT: u32 = 260;
const PAD: i32 = 12;
const LEGEND: i32 = 26;
const LABELS: i32 = 24;

/// The week's ratings per day (oldest first, split by level) under the
/// day names `labels`.
pub fn week_chart(per_day: &[[u32; 3]; WEEK_DAYS], labels: &[String; WEEK_DAYS]) -> Result<Vec<u8>, ChartError> {
    let font = font()?;
    let mut pixels = vec![0u8; WIDTH as usize * HEIGHT as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (WIDTH, HEIGHT)).into_drawing_area();
        draw(&root, font, per_day, labels).map_err(|e| ChartError::Draw(e.to_string()))?;
        root.present().map_err(|e| ChartError::Draw(e.to_string()))?;
    }
    encode(&pixels, WIDTH, HEIGHT)
}

fn draw(
    root: &Area<'_>,
    font: &ab_glyph::FontRef<'static>,
    per_day: &[[u32; 3]; WEEK_DAYS],
    labels: &[String; WEEK_DAYS],
) -> Drawn<()> {
    root.fill(&WHITE)?;
    let legend = Text { font, size: 13.0, colour: TEXT };
    let mut x = PAD;
    for (colour, name) in SEGMENT_COLOURS.iter().zip(["Beginner", "Intermediate", "Advanced"]) {
        let y = PAD + LEGEND / 2 - 4;
        root.draw(&Rectangle::new([(x, y - 6), (x + 12, y + 6)], colour.filled()))?;
        x = legend.draw(root, name, x + 17, y)? + 14;
    }
    let small = Text { font, size: 12.0, colour: MUTED };
    let most = per_day.iter().map(|d| d.iter().sum::<u32>()).max().unwrap_or(0).max(1);
    let (top, bottom) = (PAD + LEGEND + 14, HEIGHT as i32 - PAD - LABELS);
    let column = (WIDTH as i32 - 2 * PAD) / WEEK_DAYS as i32;
    for (i, (day, label)) in per_day.iter().zip(labels).enumerate() {
        let left = PAD + i as i32 * column + column / 5;
        let right = PAD + (i as i32 + 1) * column - column / 5;
        let total: u32 = day.iter().sum();
        // Heights by cumulative boundaries, so segments add up exactly.
        let y_of = |n: u32| bottom - ((i64::from(n) * i64::from(bottom - top)) / i64::from(most)) as i32;
        let mut below = 0;
        for (n, colour) in day.iter().zip(SEGMENT_COLOURS) {
            if *n > 0 {
                root.draw(&Rectangle::new([(left, y_of(below + n)), (right, y_of(below))], colour.filled()))?;
            }
            below += n;
        }
        let count = total.to_string();
        let w = small.width(&count).ceil() as i32;
        small.draw(root, &count, (left + right - w) / 2, y_of(total) - 9)?;
        let w = small.width(label).ceil() as i32;
        small.draw(root, label, (left + right - w) / 2, bottom + LABELS / 2)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_week_chart_is_a_png_of_its_size() {
        let labels = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].map(String::from);
        let png =
            week_chart(&[[1, 2, 3], [0; 3], [5, 0, 0], [0, 0, 9], [1, 1, 1], [0; 3], [2, 0, 0]], &labels).unwrap();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
        // To look at it: WEEK_CHART_PNG=/tmp/week.png cargo test week_chart
        if let Ok(path) = std::env::var("WEEK_CHART_PNG") {
            std::fs::write(path, &png).unwrap();
        }
        assert_eq!(u32::from_be_bytes([png[16], png[17], png[18], png[19]]), WIDTH);
        assert_eq!(u32::from_be_bytes([png[20], png[21], png[22], png[23]]), HEIGHT);
        // An empty week draws too (the recap sends a nudge instead).
        assert!(week_chart(&[[0; 3]; WEEK_DAYS], &labels).is_ok());
    }
}
