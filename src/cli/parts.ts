// Commands load their parts when they run: a mistyped flag or --help answers without loading tfjs and libp2p.
export const node = () => import('../node/index.js');
export const models = () => import('../models/index.js');
export const inr = () => import('../inr/index.js');
