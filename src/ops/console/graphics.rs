//! The graphical console: a socket to QEMU's VNC server from `virDomainOpenGraphicsFD`,
//! relayed byte for byte. The browser speaks RFB itself (noVNC); QEMU shares the display
//! between all its clients, so any number of viewers can be open at once.
//!
//! Back-pressure is end to end: while the browser's window is closed we stop reading the
//! socket, its buffer fills, and QEMU's VNC server skips frame updates for a client that does
//! not read (it throttles per client), so neither the helper nor QEMU buffers without bound.

use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::sync::Arc;

use serde_json::Map;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixStream;
use virt_sys as sys;

use super::{BLOCK_SIZE, Request, finished, open_failed, running_domain, send_block};
use crate::hub::Hub;
use crate::model::Graphics;
use crate::ops::OpResult;
use crate::ops::target::CONNECT_TIMEOUT;
use crate::problem::Problem;
use crate::router::channel::{ChannelInput, ChannelIo};

pub async fn run(mut io: ChannelIo, hub: Arc<Hub>, request: Request) -> OpResult {
    if request.uri.as_str().starts_with("qemu+ssh://") {
        return super::remote_graphics::run(io, hub, request).await;
    }
    let (index, fd) = hub
        .call(CONNECT_TIMEOUT, move |conn| {
            let (domain, config) = running_domain(conn, &request.vm)?;
            let index = choose_display(&config.graphics, request.index)?;
            let fd = domain
                .open_graphics_fd(index, sys::VIR_DOMAIN_OPEN_GRAPHICS_SKIPAUTH)
                .map_err(|err| open_failed(&domain, err))?;
            // SAFETY: libvirt hands us a new descriptor (one end of a socketpair) to own.
            Ok((index, unsafe { OwnedFd::from_raw_fd(fd as RawFd) }))
        })
        .await?;
    let socket = std::os::unix::net::UnixStream::from(fd);
    let socket = socket
        .set_nonblocking(true)
        .and_then(|_| UnixStream::from_std(socket))
        .map_err(|err| Problem::internal(format!("Cannot use the VNC connection: {err}")))?;
    let mut ready = Map::new();
    ready.insert("index".into(), index.into());
    io.ready_with(ready);
    finished("graphics console", relay(&mut io, socket).await)
}

/// Picks the `<graphics>` device to open: `wanted`, or the first VNC display. The page shows
/// the message of a refusal as it is.
pub(super) fn choose_display(graphics: &[Graphics], wanted: Option<u32>) -> Result<u32, Problem> {
    if let Some(index) = wanted {
        return match graphics.get(index as usize) {
            Some(g) if g.kind == "vnc" => Ok(index),
            Some(g) => Err(Problem::not_supported(format!(
                "Display {index} of this VM is {}; the console here shows VNC displays only",
                g.kind.to_uppercase()
            ))),
            None => Err(Problem::not_supported(format!("This VM has no display {index}"))),
        };
    }
    if let Some(index) = graphics.iter().position(|g| g.kind == "vnc") {
        return Ok(index as u32);
    }
    Err(Problem::not_supported(match graphics.first() {
        None => "This VM has no graphical display. Add a VNC display to use the console here.".to_string(),
        Some(g) => format!(
            "This VM's display is {}; the console here needs a VNC display. Add one to use it.",
            g.kind.to_uppercase()
        ),
    }))
}

pub(super) async fn relay(io: &mut ChannelIo, mut socket: UnixStream) -> Result<(), Problem> {
    let (mut from_guest, mut to_guest) = socket.split();
    let mut input_done = false;
    loop {
        let mut block = vec![0u8; BLOCK_SIZE];
        tokio::select! {
            read = from_guest.read(&mut block) => match read {
                // QEMU closed the connection: the VM stopped (a reboot keeps it open).
                Ok(0) => return Ok(()),
                Ok(n) => {
                    block.truncate(n);
                    send_block(io, block).await;
                }
                Err(err) => return Err(Problem::internal(format!("Reading from the VNC server failed: {err}"))),
            },
            input = io.recv(), if !input_done => match input {
                Some(ChannelInput::Data(data)) => {
                    if let Err(err) = to_guest.write_all(&data).await {
                        return Err(Problem::internal(format!("Writing to the VNC server failed: {err}")));
                    }
                }
                Some(ChannelInput::Done) => {
                    input_done = true;
                    let _ = to_guest.shutdown().await;
                }
                Some(ChannelInput::Options) => {}
                None => return Ok(()),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::ProblemCode;

    fn displays(kinds: &[&str]) -> Vec<Graphics> {
        kinds.iter().map(|k| Graphics { kind: k.to_string(), port: None, listen: None, socket: false }).collect()
    }

    #[test]
    fn console_choose_display_first_vnc_or_a_clear_refusal() {
        assert_eq!(choose_display(&displays(&["spice", "vnc"]), None).unwrap(), 1);
        assert_eq!(choose_display(&displays(&["vnc"]), Some(0)).unwrap(), 0);
        let none = choose_display(&[], None).unwrap_err();
        assert_eq!(none.code, ProblemCode::NotSupported);
        assert!(none.message.contains("no graphical display"), "{}", none.message);
        let spice = choose_display(&displays(&["spice"]), None).unwrap_err();
        assert!(spice.message.contains("SPICE"), "{}", spice.message);
        assert_eq!(choose_display(&displays(&["vnc"]), Some(3)).unwrap_err().code, ProblemCode::NotSupported);
        assert!(choose_display(&displays(&["spice"]), Some(0)).unwrap_err().message.contains("SPICE"));
    }
}
