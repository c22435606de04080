//! ops `volume-upload` and `volume-download`: a volume's bytes over a binary channel
//! (`docs/api.md`), through `virStorageVolUpload` / `virStorageVolDownload` on the same event-driven
//! stream as serial consoles (`ops/stream.rs`).
//!
//! Back-pressure both ways: an upload takes the browser's next frame only while the stream's outbox
//! has room, and acknowledges it (`"send-acks": "bytes"`) only then, so a page that waits for acks
//! sends no faster than libvirt writes. A download sends only inside Cockpit's flow-control window
//! and stops reading the stream while its inbox is full.
//!
//! An upload makes its volume first; until the last byte is committed a guard owns it, and any other
//! end (the browser closed the channel, too few bytes, libvirt failed) aborts the stream and deletes
//! the volume, so no half volume is left behind.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::{Map, Value};
use virt::connect::Connect;
use virt::storage_vol::StorageVol;
use virt_sys as sys;

use super::volumes::{check_name, invalid};
use super::{Context, OpBody, lookup, parse_options};
use crate::hub::Hub;
use crate::hub::resources::ResourceKind;
use crate::model::uri::Uri;
use crate::ops::OpResult;
use crate::ops::console::BLOCK_SIZE;
use crate::ops::stream::{End, LibvirtStream, Use};
use crate::ops::target::CONNECT_TIMEOUT;
use crate::problem::{Problem, ProblemCode};
use crate::router::channel::{ChannelInput, ChannelIo};
use crate::xml::pool::parse_volume_format;

/// How long a cancelled upload's cleanup retries deleting the volume libvirt still holds.
const DELETE_WAIT: Duration = Duration::from_secs(10);

#[derive(Deserialize)]
struct TransferOptions {
    uri: Uri,
    /// The pool's name or UUID.
    pool: String,
    /// The volume's name (upload: the new volume's).
    volume: String,
    /// Upload: exactly how many bytes will come.
    size: Option<u64>,
    binary: Option<String>,
}

fn parse(options: &Map<String, Value>) -> Result<TransferOptions, Problem> {
    let parsed: TransferOptions = parse_options(options)?;
    if parsed.binary.as_deref() != Some("raw") {
        return Err(Problem::protocol("volume transfers carry bytes: open them with \"binary\": \"raw\""));
    }
    if parsed.pool.is_empty() || parsed.volume.is_empty() {
        return Err(Problem::protocol("\"pool\" and \"volume\" must not be empty"));
    }
    Ok(parsed)
}

pub fn open_upload(options: &Map<String, Value>, ctx: &Arc<Context>) -> Result<OpBody, Problem> {
    let parsed = parse(options)?;
    let size = match parsed.size {
        Some(size) if size > 0 => size,
        _ => return Err(Problem::protocol("\"size\" must be the upload's length in bytes, above 0")),
    };
    let hub = ctx.hubs.get(&parsed.uri)?;
    let (pool, volume) = (parsed.pool, parsed.volume);
    Ok(Box::new(move |io| Box::pin(upload(io, hub, pool, volume, size))))
}

pub fn open_download(options: &Map<String, Value>, ctx: &Arc<Context>) -> Result<OpBody, Problem> {
    let parsed = parse(options)?;
    let hub = ctx.hubs.get(&parsed.uri)?;
    let (pool, volume) = (parsed.pool, parsed.volume);
    Ok(Box::new(move |io| Box::pin(download(io, hub, pool, volume))))
}

/// A new raw volume of `size` bytes, allocated as it is written.
fn upload_volume_xml(name: &str, size: u64) -> String {
    format!(
        "<volume><name>{}</name><capacity unit='bytes'>{size}</capacity><allocation unit='bytes'>0</allocation>\
         <target><format type='raw'/></target></volume>",
        quick_xml::escape::escape(name)
    )
}

/// The volume an upload made, until its last byte is committed: dropping the guard armed aborts
/// the stream and deletes the volume (on a thread of its own, as drops happen on the router's).
struct HalfVolume {
    vol: StorageVol,
    stream: Option<LibvirtStream>,
    armed: bool,
}

/// Aborts the stream, then deletes the volume; libvirt refuses while its side of the aborted
/// upload still holds the volume, so this retries for [`DELETE_WAIT`].
fn discard(vol: StorageVol, stream: Option<LibvirtStream>) {
    if let Some(stream) = stream {
        stream.abort();
    }
    let name = vol.name().unwrap_or_default();
    let deadline = Instant::now() + DELETE_WAIT;
    loop {
        match vol.delete(0) {
            Ok(()) => return log::info!("upload of volume {name:?} did not complete; volume deleted"),
            Err(err) if err.code().to_raw() == sys::VIR_ERR_NO_STORAGE_VOL => return,
            Err(err) if Instant::now() < deadline => {
                log::debug!("deleting the half volume {name:?}: {err}; retrying");
                std::thread::sleep(Duration::from_millis(200));
            }
            Err(err) => return log::warn!("cannot delete the half-uploaded volume {name:?}: {err}"),
        }
    }
}

impl Drop for HalfVolume {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let (vol, stream) = (self.vol.clone(), self.stream.take());
        let spawned = std::thread::Builder::new().name("upload-discard".into()).spawn(move || discard(vol, stream));
        if let Err(err) = spawned {
            log::warn!("cannot spawn a thread to discard an upload ({err}); discarding it here");
        }
    }
}

fn cancelled() -> Problem {
    Problem::new(ProblemCode::Terminated, "The upload was cancelled")
}

/// Makes the volume and attaches an upload stream to it; on failure nothing stays.
fn start_upload(conn: &Connect, pool: &str, name: &str, size: u64) -> Result<(HalfVolume, String), Problem> {
    check_name(name)?;
    let pool = lookup(conn, pool)?;
    if !pool.is_active()? {
        return Err(Problem::not_supported("The pool is not active"));
    }
    if pool.lookup_storage_vol_by_name(name).is_ok() {
        return Err(invalid(format!("A volume named \"{name}\" already exists in this pool")));
    }
    let available = pool.info()?.available;
    if size > available {
        return Err(invalid(format!("{size} bytes is more than the pool has available ({available} bytes)")));
    }
    let vol = StorageVol::create_xml(&pool, &upload_volume_xml(name, size), 0)?;
    let mut half = HalfVolume { vol, stream: None, armed: true };
    // SAFETY: a live volume (held by `half`) and a new stream.
    let start = |st| unsafe { sys::virStorageVolUpload(half.vol.as_ptr(), st, 0, size, 0) };
    half.stream = Some(LibvirtStream::open(conn, Use::Upload, start)?);
    Ok((half, pool.uuid_string()?))
}

async fn upload(mut io: ChannelIo, hub: Arc<Hub>, pool: String, name: String, size: u64) -> OpResult {
    let (mut half, uuid) = hub.call(CONNECT_TIMEOUT, move |conn| start_upload(conn, &pool, &name, size)).await?;
    hub.refresh_resource(ResourceKind::Pool, &uuid);
    let mut ready = Map::new();
    ready.insert("size".into(), size.into());
    io.ready_with(ready);
    let stream = half.stream.as_ref().expect("opened above");
    let mut received = 0u64;
    let mut input_done = false;
    loop {
        if input_done && !stream.input_pending() {
            break;
        }
        match stream.ended() {
            Some(End::Error(message)) => return Err(Problem::internal(format!("The upload failed: {message}"))),
            Some(End::Eof) => return Err(Problem::internal("libvirt ended the upload early")),
            None => {}
        }
        tokio::select! {
            _ = stream.changed() => {}
            input = io.recv(), if !input_done && !stream.input_full() => match input {
                Some(ChannelInput::Data(data)) => {
                    received += data.len() as u64;
                    if received > size {
                        return Err(Problem::protocol(format!("More than the announced {size} bytes arrived")));
                    }
                    stream.write(&data);
                }
                Some(ChannelInput::Done) if received < size => {
                    return Err(invalid(format!("The upload ended after {received} of {size} bytes")));
                }
                Some(ChannelInput::Done) => input_done = true,
                Some(ChannelInput::Options) => {}
                None => return Err(cancelled()),
            },
        }
    }
    let stream = half.stream.take().expect("opened above");
    hub.call(CONNECT_TIMEOUT, move |_| Ok(stream.finish()?)).await?;
    // Committed: the volume stays.
    half.armed = false;
    hub.refresh_resource(ResourceKind::Pool, &uuid);
    let mut fields = Map::new();
    fields.insert("bytes".into(), received.into());
    Ok(fields)
}

/// What a download will send: a raw volume's capacity is its length; for other formats (qcow2 grows as
/// written) the physical size libvirt reports, an estimate for progress.
fn download_size(vol: &StorageVol) -> Result<u64, Problem> {
    let capacity = vol.info()?.capacity;
    let format = vol.xml_desc(0).ok().and_then(|xml| parse_volume_format(&xml));
    if matches!(format.as_deref(), None | Some("raw" | "iso")) {
        return Ok(capacity);
    }
    Ok(match vol.info_flags(sys::VIR_STORAGE_VOL_GET_PHYSICAL) {
        Ok(info) if info.allocation > 0 => info.allocation,
        _ => capacity,
    })
}

async fn download(mut io: ChannelIo, hub: Arc<Hub>, pool: String, name: String) -> OpResult {
    let (stream, size) = hub
        .call(CONNECT_TIMEOUT, move |conn| {
            let vol = lookup(conn, &pool)?.lookup_storage_vol_by_name(&name)?;
            let size = download_size(&vol)?;
            // SAFETY: a live volume and a new stream; 0 bytes means to its end.
            let start = |st| unsafe { sys::virStorageVolDownload(vol.as_ptr(), st, 0, 0, 0) };
            Ok((LibvirtStream::open(conn, Use::Download, start)?, size))
        })
        .await?;
    let mut ready = Map::new();
    ready.insert("size".into(), size.into());
    io.ready_with(ready);
    let mut sent = 0u64;
    loop {
        if let Some(block) = stream.take_output(BLOCK_SIZE) {
            sent += block.len() as u64;
            io.send_data(block);
            io.writable().await;
            continue;
        }
        match stream.ended() {
            Some(End::Eof) => break,
            Some(End::Error(message)) => return Err(Problem::internal(format!("The download failed: {message}"))),
            None => stream.changed().await,
        }
    }
    hub.call(CONNECT_TIMEOUT, move |_| Ok(stream.finish()?)).await?;
    let mut fields = Map::new();
    fields.insert("bytes".into(), sent.into());
    Ok(fields)
}
