import type { JSX } from 'preact';

/** Inline SVG icons (24×24, stroke = currentColor); decorative, so hidden from screen readers. */
type P = { size?: number };
const svg = (size: number, body: JSX.Element) => (
  <svg width={size} height={size} viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2"
    stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" focusable="false">{body}</svg>
);

export const IconSend = ({ size = 20 }: P) => svg(size, <><path d="M22 2 11 13" /><path d="M22 2 15 22l-4-9-9-4 20-7z" /></>);
export const IconImage = ({ size = 20 }: P) => svg(size, <><rect x="3" y="3" width="18" height="18" rx="2" /><circle cx="8.5" cy="8.5" r="1.5" /><path d="m21 15-5-5L5 21" /></>);
export const IconClip = ({ size = 20 }: P) => svg(size, <path d="m21.44 11.05-9.19 9.19a6 6 0 0 1-8.49-8.49l9.19-9.19a4 4 0 0 1 5.66 5.66l-9.2 9.19a2 2 0 0 1-2.83-2.83l8.49-8.48" />);
export const IconSearch = ({ size = 18 }: P) => svg(size, <><circle cx="11" cy="11" r="7" /><path d="m21 21-4.3-4.3" /></>);
export const IconPlus = ({ size = 18 }: P) => svg(size, <><path d="M12 5v14" /><path d="M5 12h14" /></>);
export const IconUsers = ({ size = 18 }: P) => svg(size, <><path d="M17 21v-2a4 4 0 0 0-4-4H5a4 4 0 0 0-4 4v2" /><circle cx="9" cy="7" r="4" /><path d="M23 21v-2a4 4 0 0 0-3-3.87" /><path d="M16 3.13a4 4 0 0 1 0 7.75" /></>);
export const IconBack = ({ size = 20 }: P) => svg(size, <path d="m15 18-6-6 6-6" />);
export const IconClose = ({ size = 18 }: P) => svg(size, <><path d="M18 6 6 18" /><path d="m6 6 12 12" /></>);
export const IconReply = ({ size = 16 }: P) => svg(size, <><path d="M9 17 4 12l5-5" /><path d="M20 18v-2a4 4 0 0 0-4-4H4" /></>);
export const IconMore = ({ size = 18 }: P) => svg(size, <><circle cx="12" cy="5" r="1" /><circle cx="12" cy="12" r="1" /><circle cx="12" cy="19" r="1" /></>);
export const IconPin = ({ size = 14 }: P) => svg(size, <><path d="M12 17v5" /><path d="M9 10.76V6h6v4.76l2 3.24H7z" /><path d="M8 2h8" /></>);
export const IconBellOff = ({ size = 14 }: P) => svg(size, <><path d="M13.73 21a2 2 0 0 1-3.46 0" /><path d="M18.63 13A17.9 17.9 0 0 1 18 8" /><path d="M6.26 6.26A5.9 5.9 0 0 0 6 8c0 7-3 9-3 9h14" /><path d="M18 8a6 6 0 0 0-9.33-5" /><path d="m1 1 22 22" /></>);
export const IconCheck = ({ size = 14 }: P) => svg(size, <path d="M20 6 9 17l-5-5" />);
export const IconChecks = ({ size = 16 }: P) => svg(size, <><path d="M18 6 7 17l-5-5" /><path d="m22 10-7.5 7.5L13 16" /></>);
export const IconClock = ({ size = 14 }: P) => svg(size, <><circle cx="12" cy="12" r="9" /><path d="M12 7v5l3 2" /></>);
export const IconAlert = ({ size = 14 }: P) => svg(size, <><circle cx="12" cy="12" r="10" /><path d="M12 8v4" /><path d="M12 16h.01" /></>);
export const IconFile = ({ size = 22 }: P) => svg(size, <><path d="M14 2H6a2 2 0 0 0-2 2v16a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V8z" /><path d="M14 2v6h6" /></>);
export const IconLink = ({ size = 16 }: P) => svg(size, <><path d="M10 13a5 5 0 0 0 7.54.54l3-3a5 5 0 0 0-7.07-7.07l-1.72 1.71" /><path d="M14 11a5 5 0 0 0-7.54-.54l-3 3a5 5 0 0 0 7.07 7.07l1.71-1.71" /></>);
export const IconLogout = ({ size = 18 }: P) => svg(size, <><path d="M9 21H5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2h4" /><path d="m16 17 5-5-5-5" /><path d="M21 12H9" /></>);
export const IconChat = ({ size = 18 }: P) => svg(size, <path d="M21 15a2 2 0 0 1-2 2H7l-4 4V5a2 2 0 0 1 2-2h14a2 2 0 0 1 2 2z" />);
export const IconDown = ({ size = 18 }: P) => svg(size, <path d="m6 9 6 6 6-6" />);
