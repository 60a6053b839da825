// @parley/protocol/udp — the UDP wire for native clients: datagram layout and the
// reliability shared by the server's link and the SDK. A separate entry, so browser
// bundles (which cannot speak UDP) never carry it.
export * from './udp-codec.js';
export * from './udp-channel.js';
