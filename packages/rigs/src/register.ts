// Side-effect entry point: `import '@lfm/rigs/register'` registers every built-in rig.
import { registerBuiltinRigs } from './index.js';

registerBuiltinRigs();
