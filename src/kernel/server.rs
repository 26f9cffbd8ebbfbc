//! The five sockets and their loops. Shell requests run one at a time; an execute
//! runs the session on a blocking thread so the control channel can interrupt it.
//! Everything the kernel publishes goes through one IOPub task.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use serde_json::{json, Value};
use tokio::sync::mpsc;
use zeromq::{PubSocket, RepSocket, RouterSocket, Socket, SocketRecv, SocketSend, ZmqMessage};

use super::connection::Connection;
use super::handlers;
use super::progress;
use super::wire::{header, Message, Signer};
use super::KernelError;
use crate::session::{output::SVG, Outputs, Session};

/// Publishes on IOPub from any thread (the progress callback runs on workers).
#[derive(Clone)]
pub struct Iopub {
    tx: mpsc::UnboundedSender<Message>,
    session: String,
}

impl Iopub {
    /// Sends `msg_type` with `content`, as a child of the message whose header is `parent`.
    pub fn send(&self, parent: &Value, msg_type: &str, content: Value) {
        let msg = Message {
            identities: vec![format!("kernel.{}.{msg_type}", self.session).into_bytes()],
            header: header(&self.session, msg_type),
            parent_header: parent.clone(),
            metadata: json!({}),
            content,
            buffers: Vec::new(),
        };
        // The receiver lives as long as the kernel; a send after shutdown is moot.
        let _ = self.tx.send(msg);
    }

    fn status(&self, parent: &Value, state: &str) {
        self.send(parent, "status", json!({ "execution_state": state }));
    }
}

/// The kernel's state shared by its loops.
struct Kernel {
    session: Mutex<Session>,
    /// The session's interrupt flag, reachable without the session's lock.
    interrupt: Arc<AtomicBool>,
    /// Each input's plain-text result, for `history` with `output`.
    outputs: Mutex<HashMap<usize, String>>,
    iopub: Iopub,
    id: String,
    signer: Signer,
    shutdown: mpsc::UnboundedSender<()>,
}

/// Locks a mutex, recovering the data if a panicking thread poisoned it.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Binds every socket and serves until a shutdown request.
pub async fn serve(conn: Connection, signer: Signer, session: Session) -> Result<(), KernelError> {
    let mut shell = RouterSocket::new();
    let mut control = RouterSocket::new();
    let mut stdin = RouterSocket::new();
    let mut iopub_socket = PubSocket::new();
    let mut heartbeat = RepSocket::new();
    shell.bind(&conn.endpoint(conn.shell_port)).await.map_err(zmq)?;
    control.bind(&conn.endpoint(conn.control_port)).await.map_err(zmq)?;
    stdin.bind(&conn.endpoint(conn.stdin_port)).await.map_err(zmq)?;
    iopub_socket.bind(&conn.endpoint(conn.iopub_port)).await.map_err(zmq)?;
    heartbeat.bind(&conn.endpoint(conn.hb_port)).await.map_err(zmq)?;

    let id = super::wire::new_id();
    let (tx, rx) = mpsc::unbounded_channel();
    let (shutdown, mut stop) = mpsc::unbounded_channel();
    let kernel = Arc::new(Kernel {
        interrupt: session.interrupt_handle(),
        session: Mutex::new(session),
        outputs: Mutex::new(HashMap::new()),
        iopub: Iopub { tx, session: id.clone() },
        id,
        signer: signer.clone(),
        shutdown,
    });
    tokio::spawn(publish(iopub_socket, rx, signer.clone()));
    tokio::spawn(echo(heartbeat));
    tokio::spawn(ignore_stdin(stdin, signer));
    tokio::spawn(shell_loop(shell, Arc::clone(&kernel)));
    tokio::select! {
        () = control_loop(control, Arc::clone(&kernel)) => {}
        _ = stop.recv() => {}
    }
    // Let the last replies and the final idle status leave before the process ends.
    tokio::time::sleep(Duration::from_millis(200)).await;
    Ok(())
}

fn zmq(e: zeromq::ZmqError) -> KernelError {
    KernelError::Zmq(e.to_string())
}

fn frames(m: ZmqMessage) -> Vec<Vec<u8>> {
    m.into_vec().into_iter().map(|b| b.to_vec()).collect()
}

fn to_zmq(frames: Vec<Vec<u8>>) -> Option<ZmqMessage> {
    ZmqMessage::try_from(frames.into_iter().map(Bytes::from).collect::<Vec<_>>()).ok()
}

/// Receives the next authentic message, logging and dropping anything else.
async fn next_message(socket: &mut RouterSocket, signer: &Signer, channel: &str) -> Option<Message> {
    loop {
        match socket.recv().await {
            Ok(m) => match Message::decode(&frames(m), signer) {
                Ok(msg) => return Some(msg),
                Err(e) => eprintln!("harmonica kernel: dropped a {channel} message: {e}"),
            },
            Err(zeromq::ZmqError::NoMessage) => return None,
            Err(e) => {
                eprintln!("harmonica kernel: {channel} receive failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

async fn send(socket: &mut RouterSocket, msg: &Message, signer: &Signer) {
    let Some(m) = to_zmq(msg.encode(signer)) else { return };
    if let Err(e) = socket.send(m).await {
        eprintln!("harmonica kernel: cannot send {}: {e}", msg.msg_type());
    }
}

async fn publish(mut socket: PubSocket, mut rx: mpsc::UnboundedReceiver<Message>, signer: Signer) {
    while let Some(msg) = rx.recv().await {
        if let Some(m) = to_zmq(msg.encode(&signer)) {
            if let Err(e) = socket.send(m).await {
                eprintln!("harmonica kernel: cannot publish {}: {e}", msg.msg_type());
            }
        }
    }
}

/// The heartbeat: every ping comes straight back.
async fn echo(mut socket: RepSocket) {
    while let Ok(m) = socket.recv().await {
        if socket.send(m).await.is_err() {
            break;
        }
    }
}

/// The kernel never asks for input, so stdin replies are unexpected: log them.
async fn ignore_stdin(mut socket: RouterSocket, signer: Signer) {
    while let Some(msg) = next_message(&mut socket, &signer, "stdin").await {
        eprintln!("harmonica kernel: ignored a {} on stdin", msg.msg_type());
    }
}

async fn shell_loop(mut socket: RouterSocket, kernel: Arc<Kernel>) {
    while let Some(msg) = next_message(&mut socket, &kernel.signer, "shell").await {
        kernel.iopub.status(&msg.header, "busy");
        let reply = handle_shell(&kernel, &msg).await;
        finish(&mut socket, &kernel, &msg, reply).await;
    }
}

/// Sends a request's reply, publishes the idle status that closes it, and asks the
/// kernel to stop after a shutdown request; returns whether it was one.
async fn finish(socket: &mut RouterSocket, kernel: &Kernel, msg: &Message, reply: Option<Message>) -> bool {
    if let Some(reply) = reply {
        send(socket, &reply, &kernel.signer).await;
    }
    kernel.iopub.status(&msg.header, "idle");
    let shutdown = msg.msg_type() == "shutdown_request";
    if shutdown {
        let _ = kernel.shutdown.send(());
    }
    shutdown
}

async fn control_loop(mut socket: RouterSocket, kernel: Arc<Kernel>) {
    while let Some(msg) = next_message(&mut socket, &kernel.signer, "control").await {
        kernel.iopub.status(&msg.header, "busy");
        let reply = match msg.msg_type() {
            "interrupt_request" => {
                kernel.interrupt.store(true, Ordering::SeqCst);
                Some(msg.reply(&kernel.id, "interrupt_reply", json!({"status": "ok"})))
            }
            "shutdown_request" => Some(shutdown_reply(&kernel, &msg)),
            "kernel_info_request" => Some(msg.reply(&kernel.id, "kernel_info_reply", handlers::kernel_info())),
            other => {
                eprintln!("harmonica kernel: unsupported control request {other}");
                None
            }
        };
        if finish(&mut socket, &kernel, &msg, reply).await {
            return;
        }
    }
}

fn shutdown_reply(kernel: &Kernel, msg: &Message) -> Message {
    msg.reply(&kernel.id, "shutdown_reply", json!({"status": "ok", "restart": msg.flag("restart")}))
}

async fn handle_shell(kernel: &Arc<Kernel>, msg: &Message) -> Option<Message> {
    let reply = |kind: &str, content: Value| Some(msg.reply(&kernel.id, kind, content));
    match msg.msg_type() {
        "kernel_info_request" => reply("kernel_info_reply", handlers::kernel_info()),
        "execute_request" => {
            let (k, m) = (Arc::clone(kernel), msg.clone());
            let content = tokio::task::spawn_blocking(move || execute(&k, &m)).await.unwrap_or_else(|e| {
                json!({"status": "error", "ename": "Panic", "evalue": e.to_string(), "traceback": [],
                       "execution_count": 0})
            });
            reply("execute_reply", content)
        }
        "complete_request" => reply("complete_reply", handlers::complete(&lock(&kernel.session), &msg.content)),
        "inspect_request" => reply("inspect_reply", handlers::inspect(&lock(&kernel.session), &msg.content)),
        "is_complete_request" => {
            reply("is_complete_reply", handlers::is_complete(&lock(&kernel.session), &msg.content))
        }
        "history_request" => {
            let content = handlers::history(&lock(&kernel.session), &lock(&kernel.outputs), &msg.content);
            reply("history_reply", content)
        }
        "comm_info_request" => reply("comm_info_reply", json!({"status": "ok", "comms": {}})),
        "shutdown_request" => Some(shutdown_reply(kernel, msg)),
        other => {
            eprintln!("harmonica kernel: unsupported shell request {other}");
            None
        }
    }
}

/// Runs one execute request on the session; returns the `execute_reply` content.
fn execute(kernel: &Kernel, msg: &Message) -> Value {
    let code = msg.str_field("code");
    let silent = msg.flag("silent");
    let parent = &msg.header;
    let mut session = lock(&kernel.session);
    let count = session.execution_count();
    if !silent {
        kernel.iopub.send(parent, "execute_input", json!({"code": code, "execution_count": count}));
    }
    session.set_progress(progress::display(kernel.iopub.clone(), parent.clone()));
    let result = session.execute(code);
    drop(session);
    match result {
        Ok(out) => {
            lock(&kernel.outputs).insert(count, out.plain().to_owned());
            if !silent {
                show(kernel, parent, &out, count);
            }
            json!({"status": "ok", "execution_count": count, "payload": [], "user_expressions": {}})
        }
        Err(e) => {
            let error = handlers::error_content(&e);
            kernel.iopub.send(parent, "error", error.clone());
            let mut reply = error;
            reply["status"] = "error".into();
            reply["execution_count"] = count.into();
            reply
        }
    }
}

/// Publishes an input's streams and its result: plots as `display_data`, the
/// rest as the cell's `execute_result`, then its further displays (charts).
fn show(kernel: &Kernel, parent: &Value, out: &Outputs, count: usize) {
    for (name, text) in [("stdout", out.stdout()), ("stderr", out.stderr())] {
        if !text.is_empty() {
            kernel.iopub.send(parent, "stream", json!({"name": name, "text": text}));
        }
    }
    let data = handlers::data(out);
    if out.get(SVG).is_some() {
        kernel.iopub.send(parent, "display_data", json!({"data": data, "metadata": {}, "transient": {}}));
    } else if !out.plain().is_empty() {
        kernel.iopub.send(parent, "execute_result", json!({"data": data, "metadata": {}, "execution_count": count}));
    }
    for display in out.displays() {
        let data = handlers::data(display);
        kernel.iopub.send(parent, "display_data", json!({"data": data, "metadata": {}, "transient": {}}));
    }
}
