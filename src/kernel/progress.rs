//! A live progress display for a stage: one `display_data` when a batch starts,
//! `update_display_data` as its trials finish, a last update when it is done.

use std::sync::Mutex;
use std::time::Instant;

use serde_json::{json, Value};

use super::server::Iopub;
use super::wire::new_id;
use crate::session::{output::escape, ProgressEvent, ProgressFn};

/// Updates per batch at most: enough to look live, few enough not to flood the notebook.
const STEPS: usize = 40;

/// The display being updated: its id, label, size and unit, when it began, the last step sent.
struct Current {
    id: String,
    label: String,
    size: usize,
    unit: &'static str,
    started: Instant,
    step: usize,
}

/// A progress callback publishing to `iopub` as a child of the request `parent`.
pub fn display(iopub: Iopub, parent: Value) -> ProgressFn {
    let current: Mutex<Option<Current>> = Mutex::new(None);
    Box::new(move |event| {
        let mut cur = current.lock().unwrap_or_else(|e| e.into_inner());
        match event {
            ProgressEvent::Batch { label, size, unit } => {
                let c =
                    Current { id: new_id(), label: label.clone(), size: *size, unit, started: Instant::now(), step: 0 };
                iopub.send(&parent, "display_data", content(&c, 0, false));
                *cur = Some(c);
            }
            ProgressEvent::Trial { done, .. } => {
                if let Some(c) = cur.as_mut() {
                    let step = done * STEPS / c.size.max(1);
                    if step > c.step {
                        c.step = step;
                        iopub.send(&parent, "update_display_data", content(c, *done, false));
                    }
                }
            }
            ProgressEvent::BatchDone => {
                if let Some(c) = cur.take() {
                    iopub.send(&parent, "update_display_data", content(&c, c.size, true));
                }
            }
        }
    })
}

/// The display's content: a text line and an HTML progress bar.
fn content(c: &Current, done: usize, finished: bool) -> Value {
    let secs = c.started.elapsed().as_secs_f64();
    let text = if finished {
        format!("{}: {} {} in {secs:.1} s", c.label, c.size, c.unit)
    } else {
        format!("{}: {done}/{} {}", c.label, c.size, c.unit)
    };
    let html = format!(
        "<div><progress value=\"{done}\" max=\"{}\" style=\"width:24em\"></progress> {}</div>",
        c.size,
        escape(&text)
    );
    json!({
        "data": {"text/plain": text, "text/html": html},
        "metadata": {},
        "transient": {"display_id": c.id},
    })
}
