//! Shared directories: a host directory given to the VM through virtiofs under a mount tag, with the shared
//! memory virtiofs needs (`<memoryBacking>` memfd, shared) set up in the saved definition; and taking one away.

use serde_json::{Map, Value, json};
use virt::domain::Domain;

use super::scope::{CONFIG, LIVE, Scope, detach, domain_xml, find_filesystem, two_step};
use super::validate::invalid;
use crate::problem::{Problem, ProblemCode};
use crate::xml::hostdev::{SharedDirectory, filesystem_xml};
use crate::xml::parse_domain;
use crate::xml::set::{SetElement, set_elements};

fn has_shared_memory(domain: &Domain, saved: bool) -> Result<bool, Problem> {
    let xml = domain_xml(domain, saved)?;
    Ok(parse_domain(&xml).map_err(|err| Problem::internal(format!("{err:#}")))?.shared_memory)
}

/// Where a new shared directory goes by default: the saved definition, and the running VM too when its
/// memory is already shared (otherwise it cannot take one until it starts again).
pub fn default_live(domain: &Domain, live: Option<bool>) -> Result<Option<bool>, Problem> {
    Ok(match live {
        Some(live) => Some(live),
        None => Some(domain.is_active()? && has_shared_memory(domain, false)?),
    })
}

pub fn add(domain: &Domain, scope: Scope, fs: &SharedDirectory) -> Result<Map<String, Value>, Problem> {
    if scope.live && !has_shared_memory(domain, false)? {
        return Err(invalid(
            "The running VM's memory is not shared, which virtiofs needs: share the directory from its next boot",
        ));
    }
    for saved in [false, true] {
        let applies = if saved { scope.config } else { scope.live };
        if applies && find_filesystem(domain, saved, &fs.tag)?.is_some() {
            return Err(invalid(format!("The VM already has a shared directory with the mount tag \"{}\"", fs.tag)));
        }
    }
    let xml = filesystem_xml(fs).map_err(|err| Problem::internal(format!("{err:#}")))?;
    // The saved definition gets shared memory first; put back as it was when the directory is refused.
    let mut before = None;
    if scope.config {
        let saved = domain_xml(domain, true)?;
        let config = parse_domain(&saved).map_err(|err| Problem::internal(format!("{err:#}")))?;
        if !config.shared_memory {
            let edited = set_elements(
                &saved,
                &[
                    SetElement::attrs(vec!["memoryBacking", "source"], vec![("type", Some("memfd".into()))]),
                    SetElement::attrs(vec!["memoryBacking", "access"], vec![("mode", Some("shared".into()))]),
                ],
            )
            .map_err(|err| Problem::internal(format!("Cannot set up shared memory: {err:#}")))?;
            domain.connect()?.define_domain_xml(&edited)?;
            before = Some(saved);
        }
    }
    let result =
        two_step(domain, scope, || domain.attach_device_flags(&xml, CONFIG), || domain.attach_device_flags(&xml, LIVE));
    if let Err(err) = result {
        if let Some(before) = before
            && let Err(undo) = domain.connect().and_then(|conn| conn.define_domain_xml(&before))
        {
            log::warn!("device: putting the memory backing back after a refused directory failed too: {undo}");
        }
        return Err(err);
    }
    let mut answer = scope.answer();
    answer.insert("tag".into(), json!(fs.tag));
    answer.insert("sharedMemory".into(), json!(before.is_some()));
    Ok(answer)
}

pub fn remove(domain: &Domain, scope: Scope, tag: &str) -> Result<Map<String, Value>, Problem> {
    let live = if scope.live { find_filesystem(domain, false, tag)? } else { None };
    let config = if scope.config { find_filesystem(domain, true, tag)? } else { None };
    let scope = Scope { live: live.is_some(), config: config.is_some() };
    if !scope.live && !scope.config {
        return Err(Problem::new(ProblemCode::NotFound, format!("The VM has no shared directory \"{tag}\"")));
    }
    let (live_xml, config_xml) = (live.unwrap_or_default(), config.unwrap_or_default());
    detach(domain, scope, &live_xml, &config_xml, || Ok(find_filesystem(domain, false, tag)?.is_some()))
}
