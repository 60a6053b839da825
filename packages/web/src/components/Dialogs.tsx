import { openDialog, store } from '../state/app-state.js';
import { useSelect } from '../state/store.js';
import { GroupDialog } from './GroupDialog.js';
import { ImageViewer } from './ImageViewer.js';
import { NewChatDialog } from './NewChatDialog.js';
import { NewGroupDialog } from './NewGroupDialog.js';
import { ReceiptsDialog } from './ReceiptsDialog.js';
import { SearchDialog } from './SearchDialog.js';

/** The one dialog open at a time. */
export function Dialogs() {
  const d = useSelect(store, (s) => s.dialog);
  const close = () => openDialog(null);
  if (!d) return null;
  switch (d.kind) {
    case 'new-chat': return <NewChatDialog onClose={close} />;
    case 'new-group': return <NewGroupDialog onClose={close} />;
    case 'group': return <GroupDialog groupId={d.group_id} onClose={close} />;
    case 'search': return <SearchDialog onClose={close} />;
    case 'receipts': return <ReceiptsDialog convId={d.conv_id} seq={d.seq} onClose={close} />;
    case 'image': return <ImageViewer url={d.url} alt={d.alt} onClose={close} />;
  }
}
