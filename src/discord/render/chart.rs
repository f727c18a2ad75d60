//! The `/stats` levels chart: one horizontal bar per category, split into
//! the member's 🟢/🟡/🔴 questions and a grey "not yet" rest, as a PNG.
//!
//! Drawn in-process with plotters' bitmap backend and encoded with `png`:
//! no system fonts (the font is embedded, see `assets/`), no network, no
//! image crate. Knows nothing of Discord; the command attaches the bytes.
//!
//! Text is laid out with `ab_glyph` here rather than through plotters'
//! `ab_glyph` feature: plotters 0.3.7 places each glyph at its pen position
//! without the glyph's left side bearing (and truncates the pen position),
//! which spaces letters visibly wrong at label sizes ("Ad vanced"). The
//! glyphs are blended into the bitmap through plotters' `draw_pixel`.
//!
//! The geometry is fixed so Discord shows the image at full size in an
//! embed: [`WIDTH`] wide, one [`ROW_HEIGHT`] row per category up to
//! [`MAX_ROWS`], so the height never exceeds [`MAX_HEIGHT`].

use std::sync::OnceLock;

use ab_glyph::{point, Font, FontRef, GlyphId, PxScale, ScaleFont};
use plotters::backend::BitMapBackend;
use plotters::coord::Shift;
use plotters::prelude::{DrawResult, DrawingArea, IntoDrawingArea, Rectangle};
use plotters::style::{Color, RGBColor, WHITE};

use tracing::warn;

use crate::service::stats::{CategoryProgress, Stats};

/// Image width in pixels: wide enough for a category name and a readable
/// bar, narrow enough that Discord does not scale it down in an embed.
pub const WIDTH: u32 = 600;
/// Height of one category row.
pub const ROW_HEIGHT: u32 = 30;
/// Categories drawn at most; the rest are summed up in one line (the text
/// field still lists them all).
pub const MAX_ROWS: usize = 12;
/// The tallest image [`levels_chart`] makes.
pub const MAX_HEIGHT: u32 = PAD * 2 + LEGEND_HEIGHT + MAX_ROWS as u32 * ROW_HEIGHT + MORE_HEIGHT;
// However many categories the banks hold, the chart stays a glance, not a
// page to scroll: at most 600×480.
const _: () = assert!(MAX_HEIGHT <= 480);

const PAD: u32 = 12;
const LEGEND_HEIGHT: u32 = 28;
const MORE_HEIGHT: u32 = 22;
const BAR_HEIGHT: u32 = 18;
const LABEL_WIDTH: u32 = 190;
const COUNT_WIDTH: u32 = 64;
/// Width of a bar at 100%.
pub const BAR_WIDTH: u32 = WIDTH - 2 * PAD - LABEL_WIDTH - COUNT_WIDTH;

/// The colours of the level markers (🟢 🟡 🔴 as emoji fonts draw them) and
/// a light grey for questions not studied yet, in segment order.
pub const SEGMENT_COLOURS: [RGBColor; 4] =
    [RGBColor(0x78, 0xB1, 0x59), RGBColor(0xFD, 0xCB, 0x58), RGBColor(0xDD, 0x2E, 0x44), RGBColor(0xD9, 0xDC, 0xE1)];
pub(super) const TEXT: RGBColor = RGBColor(0x31, 0x33, 0x38);
pub(super) const MUTED: RGBColor = RGBColor(0x6D, 0x6F, 0x78);

/// DejaVu Sans: wide Unicode coverage for category names from any guide;
/// licence in `assets/DejaVuSans-LICENSE.txt`.
static FONT: &[u8] = include_bytes!("../../../assets/DejaVuSans.ttf");

/// Why a chart could not be made. The command sends its text without the
/// image then; none of these is the member's problem.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    #[error("the embedded font could not be loaded")]
    Font,
    #[error("drawing the chart: {0}")]
    Draw(String),
    #[error("encoding the chart as PNG: {0}")]
    Encode(#[from] png::EncodingError),
}

/// The chart to send with `/stats`, if it helps: `None` before the member
/// studied anything (see [`Stats::worth_charting`]) and when drawing failed
/// — logged, because `/stats` must still answer with its text.
pub fn chart_png(stats: &Stats) -> Option<Vec<u8>> {
    if !stats.worth_charting() {
        return None;
    }
    levels_chart(stats).map_err(|error| warn!(%error, "stats chart not drawn; sending the text only")).ok()
}

/// The member's levels per category as a PNG, [`WIDTH`] wide and
/// [`chart_height`] tall.
pub fn levels_chart(stats: &Stats) -> Result<Vec<u8>, ChartError> {
    let font = font()?;
    let rows = &stats.by_category[..stats.by_category.len().min(MAX_ROWS)];
    let hidden = stats.by_category.len() - rows.len();
    let height = chart_height(stats.by_category.len());
    let mut pixels = vec![0u8; WIDTH as usize * height as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (WIDTH, height)).into_drawing_area();
        draw(&root, font, rows, hidden).map_err(|e| ChartError::Draw(e.to_string()))?;
        root.present().map_err(|e| ChartError::Draw(e.to_string()))?;
    }
    encode(&pixels, WIDTH, height)
}

/// Image height for `categories` categories: grows by a row each, capped at
/// [`MAX_HEIGHT`].
pub fn chart_height(categories: usize) -> u32 {
    let rows = categories.min(MAX_ROWS) as u32;
    let more = if categories > MAX_ROWS { MORE_HEIGHT } else { 0 };
    PAD * 2 + LEGEND_HEIGHT + rows * ROW_HEIGHT + more
}

/// Pixel widths of the 🟢, 🟡, 🔴 and "not yet" segments of a `width`-pixel
/// bar. They add up to exactly `width` (boundaries are rounded, not the
/// segments, so rounding never leaves a gap or overflows), and each is
/// proportional to its count out of `total`.
pub fn segment_widths(levels: [usize; 3], total: usize, width: u32) -> [u32; 4] {
    let studied: usize = levels.iter().sum();
    // Never less than what was studied: the bar must not overflow even if
    // the counts disagree.
    let total = total.max(studied);
    if total == 0 {
        return [0, 0, 0, width];
    }
    let counts = [levels[0], levels[1], levels[2], total - studied];
    let mut widths = [0u32; 4];
    let (mut cumulative, mut previous) = (0u64, 0u64);
    for (w, n) in widths.iter_mut().zip(counts) {
        cumulative += n as u64;
        let boundary = (cumulative * u64::from(width) + total as u64 / 2) / total as u64;
        *w = (boundary - previous) as u32;
        previous = boundary;
    }
    widths
}

/// The embedded font, parsed once per process.
pub(super) fn font() -> Result<&'static FontRef<'static>, ChartError> {
    static PARSED: OnceLock<Option<FontRef<'static>>> = OnceLock::new();
    PARSED.get_or_init(|| FontRef::try_from_slice(FONT).ok()).as_ref().ok_or(ChartError::Font)
}

pub(super) type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;
/// The backend's error does not depend on the buffer's lifetime.
pub(super) type Drawn<T> = DrawResult<T, BitMapBackend<'static>>;

fn draw(root: &Area<'_>, font: &FontRef<'static>, rows: &[CategoryProgress], hidden: usize) -> Drawn<()> {
    root.fill(&WHITE)?;
    let pad = PAD as i32;

    // Legend: a swatch and a word per segment.
    let legend = Text { font, size: 13.0, colour: TEXT };
    let mut x = pad + LABEL_WIDTH as i32;
    let y = pad + LEGEND_HEIGHT as i32 / 2 - 4;
    for (colour, name) in SEGMENT_COLOURS.iter().zip(["Beginner", "Intermediate", "Advanced", "Not yet"]) {
        root.draw(&Rectangle::new([(x, y - 6), (x + 12, y + 6)], colour.filled()))?;
        let end = legend.draw(root, name, x + 17, y)?;
        x = end + 14;
    }

    let label = Text { font, size: 14.0, colour: TEXT };
    let count = Text { font, size: 13.0, colour: MUTED };
    let bar_x = pad + LABEL_WIDTH as i32;
    for (i, category) in rows.iter().enumerate() {
        let top = pad + LEGEND_HEIGHT as i32 + i as i32 * ROW_HEIGHT as i32;
        let middle = top + ROW_HEIGHT as i32 / 2;
        label.draw(root, &label.fit(&category.name, (LABEL_WIDTH - 10) as f32), pad, middle)?;

        let bar_top = middle - BAR_HEIGHT as i32 / 2;
        let mut x = bar_x;
        for (w, colour) in segment_widths(category.levels, category.total, BAR_WIDTH).into_iter().zip(SEGMENT_COLOURS) {
            // plotters fills [x0, x1) × [y0, y1).
            let right = x + w as i32;
            if w > 0 {
                root.draw(&Rectangle::new([(x, bar_top), (right, bar_top + BAR_HEIGHT as i32)], colour.filled()))?;
            }
            x = right;
        }
        let figures = format!("{}/{}", category.studied(), category.total);
        let width = count.width(&figures).ceil() as i32;
        count.draw(root, &figures, (WIDTH - PAD) as i32 - width, middle)?;
    }
    if hidden > 0 {
        let y = pad + LEGEND_HEIGHT as i32 + rows.len() as i32 * ROW_HEIGHT as i32 + MORE_HEIGHT as i32 / 2;
        let note = format!("+ {hidden} more {}", if hidden == 1 { "category" } else { "categories" });
        count.draw(root, &note, pad, y)?;
    }
    Ok(())
}

/// One line of text in one size and colour.
pub(super) struct Text<'f> {
    pub(super) font: &'f FontRef<'static>,
    pub(super) size: f32,
    pub(super) colour: RGBColor,
}

impl Text<'_> {
    /// Pen advances with kerning: the glyph ids and their x offsets, and the
    /// total width.
    fn layout(&self, text: &str) -> (Vec<(GlyphId, f32)>, f32) {
        let scaled = self.font.as_scaled(PxScale::from(self.size));
        let mut glyphs = Vec::with_capacity(text.len());
        let mut x = 0.0;
        let mut previous = None;
        for c in text.chars() {
            let id = scaled.glyph_id(c);
            if let Some(previous) = previous {
                x += scaled.kern(previous, id);
            }
            glyphs.push((id, x));
            x += scaled.h_advance(id);
            previous = Some(id);
        }
        (glyphs, x)
    }

    pub(super) fn width(&self, text: &str) -> f32 {
        self.layout(text).1
    }

    /// `text`, shortened with "…" until it is at most `max` pixels wide.
    fn fit(&self, text: &str, max: f32) -> String {
        if self.width(text) <= max {
            return text.to_string();
        }
        let mut chars: Vec<char> = text.chars().collect();
        while chars.pop().is_some() {
            let candidate = format!("{}…", chars.iter().collect::<String>().trim_end());
            if self.width(&candidate) <= max {
                return candidate;
            }
        }
        "…".to_string()
    }

    /// Draws `text` from `x`, its line box centred on `y`; returns where it
    /// ends. Each glyph keeps its side bearings and sub-pixel position;
    /// coverage is blended over what is there.
    pub(super) fn draw(&self, root: &Area<'_>, text: &str, x: i32, y: i32) -> Drawn<i32> {
        let scaled = self.font.as_scaled(PxScale::from(self.size));
        let baseline = y as f32 + (scaled.ascent() + scaled.descent()) / 2.0;
        let (glyphs, width) = self.layout(text);
        for (id, dx) in glyphs {
            let glyph = id.with_scale_and_position(self.size, point(x as f32 + dx, baseline));
            let Some(outline) = self.font.outline_glyph(glyph) else {
                continue; // a space, or a character the font lacks a shape for
            };
            let bounds = outline.px_bounds();
            let mut pixels = Vec::new();
            outline.draw(|px, py, coverage| pixels.push((px, py, coverage)));
            for (px, py, coverage) in pixels {
                if coverage > 0.0 {
                    let at = (bounds.min.x as i32 + px as i32, bounds.min.y as i32 + py as i32);
                    root.draw_pixel(at, &self.colour.mix(f64::from(coverage.min(1.0))))?;
                }
            }
        }
        Ok(x + width.ceil() as i32)
    }
}

pub(super) fn encode(rgb: &[u8], width: u32, height: u32) -> Result<Vec<u8>, ChartError> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(rgb)?;
    writer.finish()?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::streak::Streak;

    fn category(name: &str, levels: [usize; 3], total: usize) -> CategoryProgress {
        CategoryProgress { name: name.to_string(), levels, total }
    }

    fn stats(by_category: Vec<CategoryProgress>) -> Stats {
        Stats {
            studied: by_category.iter().map(CategoryProgress::studied).sum(),
            total: by_category.iter().map(|c| c.total).sum(),
            by_category,
            by_difficulty: [(0, 0); 3],
            mix: [0; 3],
            streak: Streak::default(),
            strip: [0; crate::service::stats::STRIP_DAYS],
            due_now: 0,
            recall_strong: 0,
            forecast: [0; 7],
        }
    }

    /// Width and height from the IHDR chunk, which must come first.
    fn ihdr(png: &[u8]) -> (u32, u32) {
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
        assert_eq!(&png[12..16], b"IHDR");
        let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
        (be(&png[16..20]), be(&png[20..24]))
    }

    /// Decodes to RGB rows.
    fn decode(png_bytes: &[u8]) -> (u32, u32, Vec<u8>) {
        let mut reader = png::Decoder::new(std::io::Cursor::new(png_bytes)).read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!(info.color_type, png::ColorType::Rgb);
        buf.truncate(info.buffer_size());
        (info.width, info.height, buf)
    }

    /// How many pixels of each segment colour one image row holds inside the
    /// bar area.
    fn bar_row(rgb: &[u8], row: usize) -> [u32; 4] {
        let y = (PAD + LEGEND_HEIGHT) as usize + row * ROW_HEIGHT as usize + ROW_HEIGHT as usize / 2;
        let x0 = (PAD + LABEL_WIDTH) as usize;
        let mut counts = [0; 4];
        for x in x0..x0 + BAR_WIDTH as usize {
            let i = (y * WIDTH as usize + x) * 3;
            let px = RGBColor(rgb[i], rgb[i + 1], rgb[i + 2]);
            if let Some(k) = SEGMENT_COLOURS.iter().position(|c| *c == px) {
                counts[k] += 1;
            }
        }
        counts
    }

    #[test]
    fn segments_fill_the_bar_in_proportion() {
        assert_eq!(segment_widths([1, 2, 3], 12, 300), [25, 50, 75, 150]);
        assert_eq!(segment_widths([0, 0, 0], 5, 300), [0, 0, 0, 300]);
        assert_eq!(segment_widths([5, 0, 0], 5, 300), [300, 0, 0, 0]);
        // Boundaries are rounded, so thirds still add up to the width.
        assert_eq!(segment_widths([1, 1, 1], 3, 100), [33, 34, 33, 0]);
        for (levels, total) in [([1, 0, 2], 7), ([3, 3, 3], 10), ([0, 1, 0], 999)] {
            assert_eq!(segment_widths(levels, total, BAR_WIDTH).iter().sum::<u32>(), BAR_WIDTH, "{levels:?}/{total}");
        }
    }

    #[test]
    fn segments_never_overflow_on_inconsistent_counts() {
        assert_eq!(segment_widths([4, 4, 2], 5, 100), [40, 40, 20, 0]);
        assert_eq!(segment_widths([0, 0, 0], 0, 100), [0, 0, 0, 100]);
    }

    #[test]
    fn height_grows_per_category_up_to_a_cap() {
        assert_eq!(chart_height(2) - chart_height(1), ROW_HEIGHT);
        assert_eq!(chart_height(MAX_ROWS + 1), MAX_HEIGHT);
        assert_eq!(chart_height(500), MAX_HEIGHT);
    }

    #[test]
    fn renders_a_png_of_the_expected_size() {
        let s =
            stats(vec![category("CI/CD & Automation", [3, 1, 0], 8), category("Monitoring & Logging", [0, 0, 1], 4)]);
        let png = levels_chart(&s).unwrap();
        assert_eq!(ihdr(&png), (WIDTH, chart_height(2)));
        // Small enough to upload on every /stats.
        assert!(png.len() < 64 * 1024, "{} bytes", png.len());
    }

    #[test]
    fn bars_show_each_level_in_proportion() {
        let s =
            stats(vec![category("CI/CD & Automation", [3, 1, 0], 8), category("Monitoring & Logging", [0, 0, 1], 4)]);
        let (w, h, rgb) = decode(&levels_chart(&s).unwrap());
        assert_eq!((w, h), (WIDTH, chart_height(2)));
        assert_eq!(bar_row(&rgb, 0), segment_widths([3, 1, 0], 8, BAR_WIDTH));
        assert_eq!(bar_row(&rgb, 1), segment_widths([0, 0, 1], 4, BAR_WIDTH));
        let [green, yellow, red, grey] = bar_row(&rgb, 0);
        assert_eq!((red, green + yellow + grey), (0, BAR_WIDTH));
        assert!(green.abs_diff(3 * yellow) <= 2 && grey.abs_diff(green + yellow) <= 2, "{:?}", bar_row(&rgb, 0));
    }

    #[test]
    fn no_chart_before_anything_is_studied() {
        assert_eq!(chart_png(&stats(vec![category("A", [0, 0, 0], 4), category("B", [0, 0, 0], 2)])), None);
        assert_eq!(chart_png(&stats(vec![])), None);
        let png = chart_png(&stats(vec![category("A", [0, 0, 0], 4), category("B", [0, 1, 0], 2)])).unwrap();
        assert_eq!(ihdr(&png), (WIDTH, chart_height(2)));
    }

    #[test]
    fn many_categories_are_capped() {
        let many = (0..MAX_ROWS + 3).map(|i| category(&format!("Category {i}"), [1, 0, 0], 2)).collect();
        let png = levels_chart(&stats(many)).unwrap();
        assert_eq!(ihdr(&png), (WIDTH, MAX_HEIGHT));
    }

    #[test]
    fn long_and_non_latin_names_render() {
        let s = stats(vec![
            category(&"Very long category name ".repeat(8), [1, 1, 1], 3),
            category("Überwachung · 監視 · 🧠", [0, 1, 0], 2),
            category("", [0, 0, 0], 1),
        ]);
        assert_eq!(ihdr(&levels_chart(&s).unwrap()), (WIDTH, chart_height(3)));
    }
}
