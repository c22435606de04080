//! The graphical console of a VM on a `qemu+ssh://` host, through an `ssh -W` the helper runs with the user's own
//! ssh (`ssh_tunnel.rs`). The channel is ready only once the VNC server's greeting came through, so a tunnel that
//! fails (login refused, forwarding refused, nothing listening) closes with ssh's message instead of an empty
//! console. A display on a UNIX socket cannot be reached this way: the refusal says to use that host's Cockpit.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Map;
use tokio::io::AsyncReadExt;
use tokio::net::UnixStream;

use super::graphics::{choose_display, relay};
use super::{BLOCK_SIZE, Request, finished, running_domain, send_block, ssh_tunnel};
use crate::hub::Hub;
use crate::ops::OpResult;
use crate::ops::target::CONNECT_TIMEOUT;
use crate::problem::{Problem, ProblemCode};
use crate::router::channel::ChannelIo;

/// How long the VNC server's greeting may take to come through the tunnel (ssh's connect included).
const GREETING_DEADLINE: Duration = Duration::from_secs(20);

pub async fn run(mut io: ChannelIo, hub: Arc<Hub>, request: Request) -> OpResult {
    let uri = request.uri.clone();
    let (index, address, port) = hub
        .call(CONNECT_TIMEOUT, move |conn| {
            let (_domain, config) = running_domain(conn, &request.vm)?;
            let index = choose_display(&config.graphics, request.index)?;
            let display = &config.graphics[index as usize];
            let port = match (display.socket, display.port) {
                (false, Some(port)) => port,
                _ => {
                    return Err(Problem::not_supported(
                        "This VM's VNC display has no TCP port on its host: open the console in that host's Cockpit",
                    ));
                }
            };
            Ok((index, ssh_tunnel::vnc_address(display.listen.as_deref())?, port))
        })
        .await?;
    let opened = tokio::task::spawn_blocking(move || ssh_tunnel::open(&uri, address, port))
        .await
        .map_err(|err| Problem::internal(format!("worker failed: {err}")))?;
    let mut tunnel = opened?;
    let socket = tunnel
        .socket
        .try_clone()
        .and_then(|s| s.set_nonblocking(true).map(|_| s))
        .and_then(UnixStream::from_std)
        .map_err(|err| Problem::internal(format!("Cannot use the ssh tunnel: {err}")))?;
    let mut socket = socket;
    let mut greeting = vec![0u8; BLOCK_SIZE];
    let first = tokio::time::timeout(GREETING_DEADLINE, socket.read(&mut greeting)).await;
    let n = match first {
        Ok(Ok(n)) if n > 0 => n,
        Ok(_) => {
            let why = tokio::task::spawn_blocking(move || tunnel.failure()).await.unwrap_or_default();
            return Err(Problem::internal(format!("The ssh tunnel to the VM's display closed: {why}")));
        }
        Err(_) => {
            return Err(Problem::new(
                ProblemCode::Timeout,
                format!("No answer from the VM's display through ssh within {} s", GREETING_DEADLINE.as_secs()),
            ));
        }
    };
    greeting.truncate(n);
    let mut ready = Map::new();
    ready.insert("index".into(), index.into());
    ready.insert("via".into(), "ssh".into());
    io.ready_with(ready);
    send_block(&mut io, greeting).await;
    let result = relay(&mut io, socket).await;
    // Ends ssh (kill and reap) off the router's thread.
    let _ = tokio::task::spawn_blocking(move || drop(tunnel)).await;
    finished("graphics console over ssh", result)
}
