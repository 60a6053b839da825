import { Dialog } from './Dialog.js';

/** An image at full size, with a link to the original. */
export function ImageViewer({ url, alt, onClose }: { url: string; alt: string; onClose: () => void }) {
  return (
    <Dialog title="Image" onClose={onClose} wide class="image-dialog">
      <img class="full-image" src={url} alt={alt} />
      <p class="center"><a href={url} target="_blank" rel="noopener noreferrer">Open original</a></p>
    </Dialog>
  );
}
