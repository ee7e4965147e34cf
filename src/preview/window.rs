//! The winit side: the event loop, the window and what each event does.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use winit::application::ApplicationHandler;
use winit::dpi::PhysicalSize;
use winit::event::{ElementState, WindowEvent};
use winit::event_loop::{ActiveEventLoop, ControlFlow, EventLoop, EventLoopProxy};
use winit::platform::run_on_demand::EventLoopExtRunOnDemand;
use winit::window::{Fullscreen, Window, WindowId};

use super::frame::{FrameReceiver, Message};
use super::gpu::{Renderer, Slot};
use super::keys::{action_for_key, Action};
use super::layout::{fit, picture_in_picture};
use super::playback::Playback;
use super::stats::{PreviewStats, RateMeter, Timing};
use super::store::{FrameStore, StoredFrame};
use super::{Presented, PreviewHooks, PreviewOptions, PreviewOutcome, Unavailable};
use crate::{Error, Result};

/// How long the "Esc again cancels the export" prompt waits before the window just closes.
const ESCAPE_CONFIRM: Duration = Duration::from_secs(3);
/// How often the title's rates are refreshed.
const TITLE_EVERY: Duration = Duration::from_millis(250);
/// How long a status message ("saved …") stays in the title.
const STATUS_FOR: Duration = Duration::from_secs(4);

/// Events from the forwarding thread, tagged with the preview run they belong to.
pub(crate) struct UserEvent {
    run: u64,
    message: Forwarded,
}

enum Forwarded {
    Frame(Box<StoredFrame>),
    Action(Action),
    GenerationDone,
}

/// winit allows one event loop per process; it is kept per thread and reused by later runs.
enum LoopSlot {
    Empty,
    Ready(Box<EventLoop<UserEvent>>),
    Failed(Unavailable),
}

thread_local! {
    static EVENT_LOOP: RefCell<LoopSlot> = const { RefCell::new(LoopSlot::Empty) };
}

static RUNS: AtomicU64 = AtomicU64::new(0);

/// Opens the preview window on the calling thread and plays the frames arriving on `frames`
/// until the user closes it (or, with `close_when_done`, the clip has been shown).
///
/// Returns [`PreviewOutcome::Unavailable`] — never an error, never a panic — when there is no
/// display or no graphics adapter, so the caller can print [`PreviewOutcome::notice`] and keep
/// exporting. Errors are only returned for an event loop that fails while running. On macOS call
/// it from the main thread.
pub fn run(
    opts: &PreviewOptions,
    frames: FrameReceiver,
    hooks: PreviewHooks,
) -> Result<PreviewOutcome> {
    EVENT_LOOP.with(|slot| {
        let mut slot = slot.borrow_mut();
        if matches!(*slot, LoopSlot::Empty) {
            *slot = match build_event_loop() {
                Ok(event_loop) => LoopSlot::Ready(Box::new(event_loop)),
                Err(why) => LoopSlot::Failed(why),
            };
        }
        let event_loop = match &mut *slot {
            LoopSlot::Ready(event_loop) => event_loop,
            LoopSlot::Failed(why) => return Ok(PreviewOutcome::Unavailable(why.clone())),
            LoopSlot::Empty => unreachable!("filled above"),
        };
        let run = RUNS.fetch_add(1, Ordering::Relaxed);
        let FrameReceiver {
            rx,
            cancel,
            listening,
            ..
        } = frames;
        forward(rx, event_loop.create_proxy(), run, listening.clone());
        let instance =
            wgpu::Instance::new(wgpu::InstanceDescriptor::new_with_display_handle_from_env(
                Box::new(event_loop.owned_display_handle()),
            ));
        let mut app = App::new(opts.clone(), hooks, cancel, instance, run);
        let result = event_loop.run_app_on_demand(&mut app);
        listening.store(false, Ordering::Relaxed);
        result.map_err(|e| Error::Failed(format!("preview window: {e}")))?;
        Ok(app.into_outcome())
    })
}

fn build_event_loop() -> std::result::Result<EventLoop<UserEvent>, Unavailable> {
    let mut builder = EventLoop::<UserEvent>::with_user_event();
    #[cfg(target_os = "linux")]
    {
        winit::platform::x11::EventLoopBuilderExtX11::with_any_thread(&mut builder, true);
        winit::platform::wayland::EventLoopBuilderExtWayland::with_any_thread(&mut builder, true);
    }
    #[cfg(target_os = "windows")]
    winit::platform::windows::EventLoopBuilderExtWindows::with_any_thread(&mut builder, true);
    builder.build().map_err(|e| match e {
        winit::error::EventLoopError::RecreationAttempt => Unavailable::NoDisplay(
            "the preview window can only be opened from one thread per process".into(),
        ),
        other => Unavailable::NoDisplay(without_source_location(&other.to_string()).into()),
    })
}

/// winit's OS errors start with "os error at FILE.rs:LINE: "; users only need the rest.
fn without_source_location(msg: &str) -> &str {
    msg.rsplit_once(".rs:")
        .and_then(|(_, rest)| rest.split_once(": "))
        .map_or(msg, |(_, text)| text)
}

/// Moves messages from the generator's channel into the event loop, converting frames to the
/// texture layout on the way so the window's thread only uploads. Stops once the window closed
/// (`listening` false), and clears `listening` when it stops for any reason.
fn forward(
    rx: std::sync::mpsc::Receiver<Message>,
    proxy: EventLoopProxy<UserEvent>,
    run: u64,
    listening: Arc<AtomicBool>,
) {
    let spawned = std::thread::Builder::new()
        .name("preview-frames".into())
        .spawn(move || {
            while let Ok(message) = rx.recv() {
                if !listening.load(Ordering::Relaxed) {
                    break;
                }
                let message = match message {
                    Message::Frame(f) => Forwarded::Frame(Box::new(StoredFrame::from_frame(f))),
                    Message::Action(a) => Forwarded::Action(a),
                    Message::GenerationDone => Forwarded::GenerationDone,
                };
                if proxy.send_event(UserEvent { run, message }).is_err() {
                    break;
                }
            }
            listening.store(false, Ordering::Relaxed);
        });
    if let Err(e) = spawned {
        log::error!("preview: cannot start the frame thread: {e}");
    }
}

/// The window's state between events.
struct App {
    opts: PreviewOptions,
    hooks: PreviewHooks,
    cancel: Arc<AtomicBool>,
    instance: wgpu::Instance,
    run: u64,
    window: Option<Arc<Window>>,
    renderer: Option<Renderer>,
    store: FrameStore,
    playback: Playback,
    show_driver: bool,
    show_keypoints: bool,
    /// What the textures hold: (position, with overlay, with driver inset).
    uploaded: Option<(usize, bool, bool)>,
    /// Position presented last, to count playback rate and first showings.
    last_presented: Option<usize>,
    shown: Vec<bool>,
    received: usize,
    gen_rate: RateMeter,
    play_rate: RateMeter,
    present_times: Vec<Duration>,
    lags: Vec<Duration>,
    escape_pending: Option<Instant>,
    status: Option<(String, Instant)>,
    title_at: Instant,
    ending: Option<Ending>,
    /// Set when the window or the GPU could not start.
    unavailable: Option<Unavailable>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Ending {
    Closed,
    Cancelled,
    Finished,
}

impl App {
    fn new(
        opts: PreviewOptions,
        hooks: PreviewHooks,
        cancel: Arc<AtomicBool>,
        instance: wgpu::Instance,
        run: u64,
    ) -> Self {
        let now = Instant::now();
        let looping = opts.looping || opts.kiosk;
        Self {
            store: FrameStore::new(opts.memory_budget_bytes),
            playback: Playback::new(opts.fps, looping, now),
            opts,
            hooks,
            cancel,
            instance,
            run,
            window: None,
            renderer: None,
            show_driver: false,
            show_keypoints: false,
            uploaded: None,
            last_presented: None,
            shown: Vec::new(),
            received: 0,
            gen_rate: RateMeter::new(),
            play_rate: RateMeter::new(),
            present_times: Vec::new(),
            lags: Vec::new(),
            escape_pending: None,
            status: None,
            title_at: now,
            ending: None,
            unavailable: None,
        }
    }

    fn into_outcome(self) -> PreviewOutcome {
        if let Some(why) = self.unavailable {
            return PreviewOutcome::Unavailable(why);
        }
        let stats = PreviewStats {
            frames_received: self.received,
            frames_shown: self.shown.iter().filter(|&&s| s).count(),
            present: Timing::of(&self.present_times),
            lag: Timing::of(&self.lags),
            adapter: self
                .renderer
                .as_ref()
                .map(|r| r.adapter.clone())
                .unwrap_or_default(),
        };
        match self.ending {
            Some(Ending::Cancelled) => PreviewOutcome::CancelRequested(stats),
            Some(Ending::Finished) => PreviewOutcome::Finished(stats),
            Some(Ending::Closed) | None => PreviewOutcome::Closed(stats),
        }
    }

    fn unavailable(&mut self, event_loop: &ActiveEventLoop, why: Unavailable) {
        log::debug!("preview unavailable: {why}");
        self.renderer = None;
        self.window = None;
        self.ending = None;
        self.unavailable = Some(why);
        event_loop.exit();
    }

    fn end(&mut self, event_loop: &ActiveEventLoop, ending: Ending) {
        if ending == Ending::Cancelled {
            self.cancel.store(true, Ordering::Relaxed);
        }
        self.ending = Some(ending);
        event_loop.exit();
    }

    fn exporting(&self) -> bool {
        self.opts.exporting && !self.playback.generation_done
    }

    fn set_status(&mut self, text: String) {
        log::info!("preview: {text}");
        self.status = Some((text, Instant::now()));
        self.update_title(Instant::now());
    }

    fn redraw(&self) {
        if let Some(w) = &self.window {
            w.request_redraw();
        }
    }

    fn advance(&mut self, now: Instant) {
        if self
            .playback
            .tick(now, self.store.first(), self.store.end())
        {
            self.redraw();
        }
    }

    fn act(&mut self, event_loop: &ActiveEventLoop, action: Action) {
        let now = Instant::now();
        let (first, end) = (self.store.first(), self.store.end());
        match action {
            Action::TogglePause => self.playback.paused = !self.playback.paused,
            Action::Step(delta) => {
                if self.playback.step(delta, first, end, now) {
                    self.redraw();
                }
            }
            Action::ToggleLoop => self.playback.looping = !self.playback.looping,
            Action::ToggleDriver => {
                self.show_driver = !self.show_driver;
                self.redraw();
            }
            Action::ToggleKeypoints => {
                self.show_keypoints = !self.show_keypoints;
                self.redraw();
            }
            Action::ToggleFullscreen => {
                if let Some(w) = &self.window {
                    let full = w.fullscreen().is_some();
                    w.set_fullscreen((!full).then_some(Fullscreen::Borderless(None)));
                }
            }
            Action::SaveFrame => self.save_current(),
            Action::Close => self.end(event_loop, Ending::Closed),
            Action::Escape => {
                if !self.exporting() {
                    self.end(event_loop, Ending::Closed);
                } else if self.escape_pending.is_some() {
                    self.end(event_loop, Ending::Cancelled);
                } else {
                    self.escape_pending = Some(now);
                    self.set_status(
                        "closing; the export goes on. Press Esc again to CANCEL the export".into(),
                    );
                }
            }
        }
        self.update_title(now);
    }

    fn save_current(&mut self) {
        let Some(frame) = self.playback.current().and_then(|p| self.store.get(p)) else {
            return self.set_status("no frame to save yet".into());
        };
        let (index, picture) = (frame.index, frame.to_rgb());
        let text = match self.hooks.save_frame.as_mut() {
            None => "saving is not available in this preview".to_string(),
            Some(save) => match save(&picture, index) {
                Ok(path) => format!("saved frame {} to {}", index + 1, path.display()),
                Err(e) => format!("could not save frame {}: {e}", index + 1),
            },
        };
        self.set_status(text);
    }

    fn draw(&mut self) {
        let Some(pos) = self.playback.current() else {
            return;
        };
        let Some(renderer) = self.renderer.as_mut() else {
            return;
        };
        let Some(frame) = self.store.get(pos) else {
            return;
        };
        let start = Instant::now();
        let overlay = self.show_keypoints && frame.landmarks.is_some();
        let driver = frame.driver.as_ref().filter(|_| self.show_driver);
        let wanted = (pos, overlay, driver.is_some());
        if self.uploaded != Some(wanted) {
            if overlay {
                renderer.upload(Slot::Main, &frame.with_overlay());
            } else {
                renderer.upload(Slot::Main, &frame.rgba);
            }
            if let Some(driver) = driver {
                renderer.upload(Slot::Inset, driver);
            }
            self.uploaded = Some(wanted);
        }
        let Some(picture) = renderer.picture_size(Slot::Main) else {
            return;
        };
        let main = fit(picture, renderer.size());
        let inset = driver
            .and(renderer.picture_size(Slot::Inset))
            .map(|size| picture_in_picture(main, size));
        if !renderer.draw(main, inset) {
            if let Some(w) = &self.window {
                w.request_redraw();
            }
            return;
        }
        let done = Instant::now();
        let present_time = done - start;
        let lag = done.saturating_duration_since(frame.generated_at);
        let index = frame.index;
        self.present_times.push(present_time);
        if self.shown.len() <= pos {
            self.shown.resize(pos + 1, false);
        }
        let first_time = !self.shown[pos];
        if first_time {
            self.shown[pos] = true;
            self.lags.push(lag);
        }
        if self.last_presented != Some(pos) {
            self.play_rate.record(done);
            self.last_presented = Some(pos);
        }
        let window_size = renderer.size();
        if let Some(hook) = self.hooks.on_present.as_mut() {
            hook(&Presented {
                index,
                first_time,
                lag,
                present_time,
                window_size,
            });
        }
    }

    fn update_title(&mut self, now: Instant) {
        let Some(window) = &self.window else {
            return;
        };
        self.title_at = now;
        let mut title = self.opts.title.clone();
        if let Some(frame) = self.playback.current().and_then(|p| self.store.get(p)) {
            title += &format!(" — frame {}", frame.index + 1);
            if let Some(total) = self.opts.total_frames {
                title += &format!("/{total}");
            }
        } else {
            title += " — waiting for the first frame";
        }
        if !self.playback.generation_done {
            title += &format!(" · generating {:.1} fps", self.gen_rate.rate(now));
        }
        title += &format!(" · playing {:.1} fps", self.play_rate.rate(now));
        if self.playback.paused {
            title += " · paused";
        }
        if self.playback.looping {
            title += " · loop";
        }
        if let Some((text, at)) = &self.status {
            if now - *at < STATUS_FOR {
                title += &format!(" · {text}");
            }
        }
        window.set_title(&title);
    }

    fn open_window(&mut self, event_loop: &ActiveEventLoop) {
        let size = initial_size(self.opts.frame_size, event_loop);
        let mut attrs = Window::default_attributes()
            .with_title(self.opts.title.clone())
            .with_inner_size(size);
        if self.opts.kiosk {
            attrs = attrs.with_fullscreen(Some(Fullscreen::Borderless(None)));
        }
        let window = match event_loop.create_window(attrs) {
            Ok(w) => Arc::new(w),
            Err(e) => return self.unavailable(event_loop, Unavailable::NoDisplay(e.to_string())),
        };
        if self.opts.kiosk {
            window.set_cursor_visible(false);
        }
        match Renderer::new(&self.instance, window.clone()) {
            Ok(renderer) => {
                log::info!("preview: drawing with {}", renderer.adapter);
                self.renderer = Some(renderer);
                self.window = Some(window);
                self.update_title(Instant::now());
            }
            Err(why) => self.unavailable(event_loop, Unavailable::NoAdapter(why)),
        }
    }
}

/// The frame size fitted into 90 % of the screen (physical pixels, so HiDPI screens show frames
/// pixel for pixel when they fit).
fn initial_size(frame: Option<(u32, u32)>, event_loop: &ActiveEventLoop) -> PhysicalSize<u32> {
    let (w, h) = frame.unwrap_or((640, 640));
    let screen = event_loop
        .primary_monitor()
        .or_else(|| event_loop.available_monitors().next())
        .map(|m| m.size())
        .filter(|s| s.width > 0 && s.height > 0);
    let scale = screen.map_or(1.0, |s| {
        (0.9 * s.width as f64 / w.max(1) as f64)
            .min(0.9 * s.height as f64 / h.max(1) as f64)
            .min(1.0)
    });
    PhysicalSize::new(
        ((w as f64 * scale) as u32).max(64),
        ((h as f64 * scale) as u32).max(64),
    )
}

impl ApplicationHandler<UserEvent> for App {
    fn resumed(&mut self, event_loop: &ActiveEventLoop) {
        if self.window.is_none() {
            self.open_window(event_loop);
        }
    }

    fn user_event(&mut self, event_loop: &ActiveEventLoop, event: UserEvent) {
        if event.run != self.run {
            return;
        }
        let now = Instant::now();
        match event.message {
            Forwarded::Frame(frame) => {
                self.received += 1;
                self.gen_rate.record(now);
                self.store.push(*frame);
                self.advance(now);
            }
            Forwarded::GenerationDone => {
                self.playback.generation_done = true;
                self.advance(now);
            }
            Forwarded::Action(action) => self.act(event_loop, action),
        }
    }

    fn window_event(&mut self, event_loop: &ActiveEventLoop, _id: WindowId, event: WindowEvent) {
        match event {
            WindowEvent::CloseRequested => self.end(event_loop, Ending::Closed),
            WindowEvent::Resized(size) => {
                if let Some(r) = self.renderer.as_mut() {
                    r.resize(size.width, size.height);
                }
                self.redraw();
            }
            WindowEvent::KeyboardInput { event, .. } if event.state == ElementState::Pressed => {
                if let Some(action) = action_for_key(&event.logical_key) {
                    let repeatable = matches!(action, Action::Step(_));
                    if !event.repeat || repeatable {
                        self.act(event_loop, action);
                    }
                }
            }
            WindowEvent::RedrawRequested => self.draw(),
            _ => {}
        }
    }

    fn about_to_wait(&mut self, event_loop: &ActiveEventLoop) {
        let now = Instant::now();
        self.advance(now);
        if let Some(at) = self.escape_pending {
            if now - at >= ESCAPE_CONFIRM {
                return self.end(event_loop, Ending::Closed);
            }
        }
        let end = self.store.end();
        let shown_last = self.last_presented == end.checked_sub(1);
        if self.opts.close_when_done && self.playback.at_end(end) && shown_last {
            return self.end(event_loop, Ending::Finished);
        }
        if now - self.title_at >= TITLE_EVERY {
            self.update_title(now);
        }
        let mut wake = self.title_at + TITLE_EVERY;
        if let Some(at) = self.playback.next_deadline(self.store.first(), end) {
            wake = wake.min(at);
        }
        if let Some(at) = self.escape_pending {
            wake = wake.min(at + ESCAPE_CONFIRM);
        }
        event_loop.set_control_flow(ControlFlow::WaitUntil(wake));
    }
}
