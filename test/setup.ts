// libp2p calls Promise.withResolvers (Node 22+); load the polyfill before anything imports libp2p.
import '../src/core/polyfill.js';
