//! Storage for a new VM: empty qcow2 volumes, files copied into a pool with progress, the
//! cloud-init seed, and the default pool when it is missing. Everything made is recorded in a
//! [`Rollback`], undone in reverse order if creation fails or is cancelled.

use std::io::Read;

use quick_xml::escape::escape;
use virt::connect::Connect;
use virt::storage_pool::StoragePool;
use virt::storage_vol::StorageVol;
use virt::stream::Stream;
use virt_sys as sys;

use super::host::DEFAULT_POOL_PATH;
use super::journal::{Entry, Journal};
use super::progress::Progress;
use crate::media::local::{self, LocalFile};
use crate::media::qcow2;
use crate::problem::{Problem, ProblemCode};

/// Bytes per stream send; libvirt's RPC messages carry at most 256 KiB of stream data.
const CHUNK: usize = 256 * 1024;

/// What the worker made, so that a failure or cancel can take it back. Dropped without
/// [`Rollback::commit`] (a panic, say), it rolls back too.
pub struct Rollback {
    conn: Connect,
    undo: Vec<Undo>,
    /// What is made, on disk too, for the next start if this process dies first.
    journal: Option<Journal>,
}

#[derive(Debug)]
enum Undo {
    Volume { pool: String, name: String },
    Domain { uuid: String },
}

impl Rollback {
    pub fn new(conn: Connect, journal: Option<Journal>) -> Rollback {
        Rollback { conn, undo: Vec::new(), journal }
    }

    pub fn volume(&mut self, pool: &str, name: &str) {
        if let Some(journal) = &mut self.journal {
            journal.record(&Entry::Volume { pool: pool.into(), name: name.into() });
        }
        self.undo.push(Undo::Volume { pool: pool.into(), name: name.into() });
    }

    pub fn domain(&mut self, uuid: &str) {
        if let Some(journal) = &mut self.journal {
            journal.record(&Entry::Domain(uuid.into()));
        }
        self.undo.push(Undo::Domain { uuid: uuid.into() });
    }

    /// Keeps everything: the VM was created.
    pub fn commit(mut self) {
        self.undo.clear();
        if let Some(journal) = self.journal.take() {
            journal.finish();
        }
    }

    /// Undoes everything, newest first; keeps going past failures (they are logged).
    pub fn run(mut self) {
        self.undo_all();
    }

    fn undo_all(&mut self) {
        let mut complete = true;
        for undo in std::mem::take(&mut self.undo).into_iter().rev() {
            let result = match &undo {
                Undo::Volume { pool, name } => delete_volume(&self.conn, pool, name),
                Undo::Domain { uuid } => remove_domain(&self.conn, uuid),
            };
            match result {
                Ok(()) => log::info!("create: rolled back {undo:?}"),
                Err(err) => {
                    log::warn!("create: rolling back {undo:?} failed: {err}");
                    complete = false;
                }
            }
        }
        // Anything that failed stays journalled: the next start tries again.
        if let Some(journal) = self.journal.take()
            && complete
        {
            journal.finish();
        }
    }
}

impl Drop for Rollback {
    fn drop(&mut self) {
        self.undo_all();
    }
}

pub fn delete_volume(conn: &Connect, pool: &str, name: &str) -> Result<(), virt::error::Error> {
    conn.lookup_storage_pool_by_name(pool)?.lookup_storage_vol_by_name(name)?.delete(0)
}

pub fn remove_domain(conn: &Connect, uuid: &str) -> Result<(), virt::error::Error> {
    let domain = conn.lookup_domain_by_uuid_string(uuid)?;
    if domain.is_active()? {
        domain.destroy()?;
    }
    match domain.undefine_flags(sys::VIR_DOMAIN_UNDEFINE_NVRAM | sys::VIR_DOMAIN_UNDEFINE_MANAGED_SAVE) {
        // Drivers without NVRAM (test:///) refuse the flag; nothing else needs removing there.
        Err(err)
            if err.code().to_raw() == sys::VIR_ERR_INVALID_ARG || err.code().to_raw() == sys::VIR_ERR_NO_SUPPORT =>
        {
            domain.undefine()
        }
        result => result,
    }
}

/// `<volume>` XML for a new volume; the name goes through XML escaping.
fn volume_xml(name: &str, capacity: u64, format: &str) -> String {
    format!(
        "<volume><name>{}</name><capacity unit='bytes'>{capacity}</capacity><allocation unit='bytes'>0</allocation>\
         <target><format type='{}'/></target></volume>",
        escape(name),
        escape(format)
    )
}

fn pool(conn: &Connect, name: &str) -> Result<StoragePool, Problem> {
    conn.lookup_storage_pool_by_name(name).map_err(Problem::from)
}

/// Creates an empty sparse volume (`<allocation>0`) and records it.
pub fn create_volume(
    conn: &Connect,
    rollback: &mut Rollback,
    pool_name: &str,
    name: &str,
    capacity: u64,
    format: &str,
) -> Result<StorageVol, Problem> {
    let vol = StorageVol::create_xml(&pool(conn, pool_name)?, &volume_xml(name, capacity, format), 0)?;
    rollback.volume(pool_name, name);
    Ok(vol)
}

/// An image the VM will use as its disk, open: a regular file or a block device, and not a qcow2
/// image that refers to other files (`media::qcow2`).
pub struct Image {
    pub opened: LocalFile,
    pub format: &'static str,
}

pub fn open_image(path: &str) -> Result<Image, Problem> {
    let opened = local::open_str(path).map_err(|err| {
        let code = match err.io_kind() {
            Some(std::io::ErrorKind::PermissionDenied) => ProblemCode::AccessDenied,
            Some(_) => ProblemCode::InternalError,
            None => ProblemCode::InvalidArgument,
        };
        Problem::new(code, err.describe(path))
    })?;
    let refs = qcow2::inspect(&opened.file).map_err(|err| Problem::internal(format!("{path}: {err}")))?;
    if let Some(refusal) = refs.as_ref().and_then(|refs| refs.refusal()) {
        return Err(Problem::new(ProblemCode::InvalidArgument, format!("{} {refusal}", path.escape_debug())));
    }
    Ok(Image { opened, format: if refs.is_some() { "qcow2" } else { "raw" } })
}

/// Copies a file into a new volume `name` of `pool_name`, keeping its bytes (a qcow2 stays
/// qcow2). A file that is itself a pool volume is cloned by libvirt (`virStorageVolCreateXMLFrom`:
/// one call, progress at its start and end); any other file is streamed through
/// `virStorageVolUpload` with byte progress, and a cancel stops it between chunks.
pub fn copy_file(
    conn: &Connect,
    rollback: &mut Rollback,
    progress: &mut Progress,
    path: &str,
    pool_name: &str,
    name: &str,
) -> Result<(StorageVol, &'static str), Problem> {
    let message = format!("Copying {}…", path.escape_debug());
    let image = open_image(path)?;
    if let Ok(source) = conn.lookup_storage_vol_by_path(path) {
        let format = image.format;
        let capacity = source.info()?.capacity;
        progress.bytes("copy", &message, 0, capacity);
        let xml = volume_xml(name, capacity, format);
        let vol = StorageVol::create_xml_from(&pool(conn, pool_name)?, &xml, &source, 0)?;
        rollback.volume(pool_name, name);
        progress.bytes("copy", &message, capacity, capacity);
        return Ok((vol, format));
    }
    // A block device's size comes from the device (its inode says 0).
    let size = image.opened.size;
    let vol = create_volume(conn, rollback, pool_name, name, size, "raw")?;
    upload(conn, &vol, image.opened.file, size, &mut |done| {
        progress.bytes("copy", &message, done, size);
        !progress.cancelled()
    })?;
    Ok((vol, image.format))
}

/// Uploads `bytes` (the seed ISO) as a new raw volume.
pub fn upload_bytes(
    conn: &Connect,
    rollback: &mut Rollback,
    pool_name: &str,
    name: &str,
    bytes: &[u8],
) -> Result<StorageVol, Problem> {
    let vol = create_volume(conn, rollback, pool_name, name, bytes.len() as u64, "raw")?;
    upload(conn, &vol, bytes, bytes.len() as u64, &mut |_| true)?;
    Ok(vol)
}

/// Streams `size` bytes of `source` (a kernel or initrd being downloaded) into a new raw volume,
/// with byte progress on step `copy`; a cancel stops it between chunks.
#[allow(clippy::too_many_arguments)] // the volume's place, its bytes, and where progress goes
pub fn upload_with_progress(
    conn: &Connect,
    rollback: &mut Rollback,
    progress: &mut Progress,
    message: &str,
    pool_name: &str,
    name: &str,
    source: impl Read,
    size: u64,
) -> Result<StorageVol, Problem> {
    let vol = create_volume(conn, rollback, pool_name, name, size, "raw")?;
    upload(conn, &vol, source, size, &mut |done| {
        progress.bytes("copy", message, done, size);
        !progress.cancelled()
    })?;
    Ok(vol)
}

/// Streams `length` bytes of `source` into `vol`. `go_on(done)` is asked after every chunk;
/// `false` aborts the stream and fails with "cancelled".
fn upload(
    conn: &Connect,
    vol: &StorageVol,
    mut source: impl Read,
    length: u64,
    go_on: &mut dyn FnMut(u64) -> bool,
) -> Result<(), Problem> {
    let stream = Stream::new(conn, 0)?;
    vol.upload(&stream, 0, length, 0)?;
    let mut buf = vec![0u8; CHUNK];
    let mut done = 0u64;
    let result = (|| {
        if !go_on(0) {
            return Err(cancelled());
        }
        while done < length {
            let want = CHUNK.min((length - done) as usize);
            let n = source.read(&mut buf[..want]).map_err(|err| Problem::internal(format!("reading: {err}")))?;
            if n == 0 {
                return Err(Problem::internal("the file got shorter while it was copied"));
            }
            let mut sent = 0;
            while sent < n {
                sent += stream.send(&buf[sent..n])? as usize;
            }
            done += n as u64;
            if !go_on(done) {
                return Err(cancelled());
            }
        }
        Ok(())
    })();
    match result {
        Ok(()) => stream.finish().map_err(Problem::from),
        Err(problem) => {
            let _ = stream.abort();
            Err(problem)
        }
    }
}

pub fn cancelled() -> Problem {
    Problem::new(crate::problem::ProblemCode::Terminated, "Cancelled")
}

/// Grows a volume (a cloud image) to `capacity` bytes if it is smaller. The pool is refreshed
/// first so that libvirt knows the copied image's format and resizes it with qemu-img.
pub fn grow_volume(conn: &Connect, pool_name: &str, name: &str, capacity: u64) -> Result<(), Problem> {
    let pool = pool(conn, pool_name)?;
    refresh(&pool)?;
    let vol = pool.lookup_storage_vol_by_name(name)?;
    if vol.info()?.capacity < capacity {
        vol.resize(capacity, 0)?;
    }
    Ok(())
}

/// libvirt refuses to refresh a pool while another upload into it runs ("asynchronous jobs
/// running"), as in two cloud creates at once: retry for a bounded time.
fn refresh(pool: &StoragePool) -> Result<(), Problem> {
    let deadline = std::time::Instant::now() + REFRESH_WAIT;
    loop {
        match pool.refresh(0) {
            Ok(_) => return Ok(()),
            Err(err) if err.message().contains("asynchronous jobs") && std::time::Instant::now() < deadline => {
                log::debug!("pool refresh: {err}; retrying");
                std::thread::sleep(std::time::Duration::from_millis(250));
            }
            Err(err) => return Err(err.into()),
        }
    }
}

/// How long a pool refresh is retried while other jobs run in the pool.
const REFRESH_WAIT: std::time::Duration = std::time::Duration::from_secs(120);

/// XML of the default pool, as virt-install makes it.
fn default_pool_xml() -> String {
    format!("<pool type='dir'><name>default</name><target><path>{}</path></target></pool>", escape(DEFAULT_POOL_PATH))
}

/// Makes sure pool `default` exists and runs: defines, builds, starts and autostarts it when
/// missing; starts it when inactive. Not rolled back: it is useful whatever happens next.
pub fn ensure_default_pool(conn: &Connect) -> Result<(), Problem> {
    let pool = match conn.lookup_storage_pool_by_name("default") {
        Ok(pool) => pool,
        Err(_) => {
            let pool = conn.define_storage_pool_xml(&default_pool_xml(), 0)?;
            pool.build(0)?;
            pool.set_autostart(true)?;
            pool
        }
    };
    if !pool.is_active()? {
        pool.create(0)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_volume_xml_escapes_the_name() {
        let xml = volume_xml("a<b>&'c\".qcow2", 1 << 30, "qcow2");
        assert!(xml.contains("<name>a&lt;b&gt;&amp;&apos;c&quot;.qcow2</name>"), "{xml}");
        assert!(xml.contains("<capacity unit='bytes'>1073741824</capacity><allocation unit='bytes'>0</allocation>"));
        assert!(default_pool_xml().contains("<path>/var/lib/libvirt/images</path>"));
    }

    /// libvirt's test driver: in memory, private to this connection.
    fn test_conn() -> Connect {
        Connect::open(Some("test:///default")).expect("test:///default")
    }

    #[test]
    fn storage_default_pool_is_made_started_and_autostarted() {
        let conn = test_conn();
        assert!(conn.lookup_storage_pool_by_name("default").is_err());
        ensure_default_pool(&conn).unwrap();
        let pool = conn.lookup_storage_pool_by_name("default").unwrap();
        assert!(pool.is_active().unwrap() && pool.autostart().unwrap());
        assert!(pool.xml_desc(0).unwrap().contains("<path>/var/lib/libvirt/images</path>"));
        // Inactive: started again; present: left alone.
        pool.destroy().unwrap();
        ensure_default_pool(&conn).unwrap();
        assert!(pool.is_active().unwrap());
        ensure_default_pool(&conn).unwrap();
    }

    #[test]
    fn storage_rollback_undoes_newest_first_and_commit_keeps() {
        let conn = test_conn();
        let xml = "<domain type='test'><name>cop-rb</name><memory>65536</memory><os><type>hvm</type></os></domain>";
        let mut rollback = Rollback::new(conn.clone(), None);
        create_volume(&conn, &mut rollback, "default-pool", "cop-rb.qcow2", 1 << 20, "qcow2").unwrap();
        let domain = conn.define_domain_xml(xml).unwrap();
        rollback.domain(&domain.uuid_string().unwrap());
        rollback.run();
        assert!(conn.lookup_domain_by_name("cop-rb").is_err());
        let pool = conn.lookup_storage_pool_by_name("default-pool").unwrap();
        assert!(pool.lookup_storage_vol_by_name("cop-rb.qcow2").is_err());

        // Dropped without commit (a panic): rolled back too. Committed: kept.
        {
            let mut rollback = Rollback::new(conn.clone(), None);
            create_volume(&conn, &mut rollback, "default-pool", "cop-rb.qcow2", 1 << 20, "qcow2").unwrap();
        }
        assert!(pool.lookup_storage_vol_by_name("cop-rb.qcow2").is_err());
        let mut rollback = Rollback::new(conn.clone(), None);
        create_volume(&conn, &mut rollback, "default-pool", "cop-rb.qcow2", 1 << 20, "qcow2").unwrap();
        rollback.commit();
        assert!(pool.lookup_storage_vol_by_name("cop-rb.qcow2").is_ok());
    }

    #[test]
    fn storage_open_image_probes_the_format_and_refuses_references() {
        let dir = std::env::temp_dir();
        let qcow = dir.join(format!("cop-probe-{}.qcow2", std::process::id()));
        let path = qcow.to_str().unwrap();
        let mut header = vec![0u8; 104];
        header[..8].copy_from_slice(b"QFI\xfb\0\0\0\x03");
        std::fs::write(&qcow, &header).unwrap();
        assert_eq!(open_image(path).unwrap().format, "qcow2");
        header[8..16].copy_from_slice(&512u64.to_be_bytes());
        std::fs::write(&qcow, &header).unwrap();
        let problem = open_image(path).err().unwrap();
        assert_eq!(problem.code, ProblemCode::InvalidArgument);
        assert!(problem.message.contains("backing file"), "{}", problem.message);
        std::fs::write(&qcow, b"\0\0").unwrap();
        assert_eq!(open_image(path).unwrap().format, "raw");
        std::fs::remove_file(&qcow).unwrap();
        assert!(open_image("/nonexistent/cop").is_err());
        assert!(open_image("/dev/zero").err().unwrap().message.contains("character device"));
    }
}
