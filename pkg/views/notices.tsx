// Page-level notices (store/notices.ts), each dismissable.

import { Alert, AlertActionCloseButton } from "@patternfly/react-core/dist/esm/components/Alert/index.js";
import { List, ListItem } from "@patternfly/react-core/dist/esm/components/List/index.js";

import { useNotices } from "../store/hooks.ts";
import { dismissNotice } from "../store/notices.ts";

const _ = cockpit.gettext;

export function Notices() {
    const notices = useNotices();
    return (
        <>
            {notices.map(notice =>
                <Alert key={notice.id} isInline variant={notice.variant} title={notice.title} className="virt-notice"
                       actionClose={<AlertActionCloseButton aria-label={_("Dismiss")}
                                                            onClose={() => dismissNotice(notice.id)} />}>
                    {notice.details.length > 0 &&
                        <List>{notice.details.map((d, i) => <ListItem key={i}>{d}</ListItem>)}</List>}
                </Alert>)}
        </>
    );
}
