//! The serial console: a `virDomainOpenConsole` stream (`stream.rs`) relayed both ways.
//!
//! libvirt lets one viewer hold a console at a time. A second open fails ("in use") unless it
//! asks to `force`, which ends the first viewer's stream; the page offers that as "take over"
//! instead of fighting over the console by reconnecting.

use std::ffi::CString;
use std::sync::Arc;

use serde_json::{Map, Value};
use virt_sys as sys;

use super::{BLOCK_SIZE, Request, finished, open_failed, running_domain, send_block};
use crate::hub::Hub;
use crate::ops::OpResult;
use crate::ops::stream::{End, LibvirtStream, Use};
use crate::ops::target::CONNECT_TIMEOUT;
use crate::problem::Problem;
use crate::router::channel::{ChannelInput, ChannelIo};

pub async fn run(mut io: ChannelIo, hub: Arc<Hub>, request: Request) -> OpResult {
    let device = request.index.map(|i| format!("serial{i}"));
    let name = device.clone();
    let stream = hub
        .call(CONNECT_TIMEOUT, move |conn| {
            let (domain, config) = running_domain(conn, &request.vm)?;
            if name.is_none() {
                match config.consoles.first() {
                    None => return Err(Problem::not_supported("This VM has no serial console")),
                    Some(c) if c.kind != "pty" => {
                        return Err(Problem::not_supported(format!(
                            "This VM's console is of type \"{}\"; only pty consoles can be opened",
                            c.kind
                        )));
                    }
                    Some(_) => {}
                }
            }
            let dev = name.as_deref().map(|d| CString::new(d).unwrap_or_default());
            let flags = if request.force { sys::VIR_DOMAIN_CONSOLE_FORCE } else { 0 };
            let dev_ptr = dev.as_ref().map_or(std::ptr::null(), |d| d.as_ptr());
            // SAFETY: valid domain and stream; the device name outlives the call.
            let start = |st| unsafe { sys::virDomainOpenConsole(domain.as_ptr(), dev_ptr, st, flags) };
            LibvirtStream::open(conn, Use::Console, start).map_err(|err| {
                if err.code().to_raw() == sys::VIR_ERR_OPERATION_FAILED {
                    let mut problem = Problem::from(err);
                    problem.message = "The serial console is in use by another viewer (another window, another \
                                       session or virsh console)"
                        .into();
                    problem
                } else {
                    open_failed(&domain, err)
                }
            })
        })
        .await?;
    let mut ready = Map::new();
    ready.insert("device".into(), device.map_or(Value::Null, Value::from));
    io.ready_with(ready);
    finished("serial console", relay(&mut io, &stream).await)
}

async fn relay(io: &mut ChannelIo, stream: &LibvirtStream) -> Result<(), Problem> {
    let mut input_done = false;
    loop {
        // The browser said `done`: close once what it typed is out (a graceful close).
        if input_done && !stream.input_pending() {
            return Ok(());
        }
        if let Some(block) = stream.take_output(BLOCK_SIZE) {
            send_block(io, block).await;
            continue;
        }
        match stream.ended() {
            // The guest's QEMU exited, or another viewer forced the console over.
            Some(End::Eof) => return Ok(()),
            Some(End::Error(message)) => {
                log::info!("serial console stream failed: {message}");
                return Ok(());
            }
            None => {}
        }
        tokio::select! {
            _ = stream.changed() => {}
            // A guest that does not read its console holds back the browser's input here.
            input = io.recv(), if !stream.input_full() => match input {
                Some(ChannelInput::Data(data)) => stream.write(&data),
                Some(ChannelInput::Done) => input_done = true,
                Some(ChannelInput::Options) => {}
                None => return Ok(()),
            },
        }
    }
}
