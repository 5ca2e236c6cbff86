// tfjs-core alone registers no gradients. The Node bundles of tfjs-layers (a peer dependency we need anyway) register
// all of tfjs-core's gradients on import, so importing it here makes `tf.grad`/`minimize` work wherever masr-net is used.
// Bundler builds of tfjs-layers do not: browser users import '@tensorflow/tfjs' (or tfjs-core's register_all_gradients).
import '@tensorflow/tfjs-layers';
