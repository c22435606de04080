// op `domain-xml` (docs/api.md): a VM's saved definition for the XML editor, and saving an edited one.

import { openOneShot } from "./one-shot.ts";

export interface DomainXml {
    xml: string;
    /** a transient VM: its live XML, nothing to save */
    readOnly: boolean;
}

export async function readDomainXml(uri: string, vmId: string): Promise<DomainXml> {
    const { messages } = await openOneShot({ op: "domain-xml", uri, vm: vmId }).done;
    return messages.at(-1) as unknown as DomainXml;
}

/**
 * Saves `xml`, an edit of `base` (exactly as read). Rejects with an OpError: `errors.base` when the definition
 * changed elsewhere meanwhile, `errors.xml` when this is not an edit of the VM, or libvirt's message.
 */
export async function saveDomainXml(uri: string, vmId: string, xml: string, base: string): Promise<{ changed: boolean }> {
    const { messages } = await openOneShot({ op: "domain-xml", uri, vm: vmId, define: xml, base }).done;
    return messages.at(-1) as unknown as { changed: boolean };
}
