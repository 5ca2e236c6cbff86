/**
 * Enhance one low-light photo with a trained MASR-Net.
 *
 *   npx tsx examples/enhance.ts <checkpoint> <input image> <output.png>
 *
 * <checkpoint>: a run folder from `masr-net train` (its best/ is used), a checkpoint folder (model.json), or a
 * reference PyTorch state_dict (.safetensors, preset lolv1). After `npm run demo`, for example:
 *
 *   npx tsx examples/enhance.ts runs/demo/train samples/lowlight/lol_eval15_1.png runs/example-enhanced.png
 */
import { selectBackend } from 'masr-net';
import { imageToTensor, loadModel, readImage, tensorToImage, writeImage } from 'masr-net/node';

const [checkpoint, input, output] = process.argv.slice(2);
if (!checkpoint || !input || !output) {
  console.error('usage: npx tsx examples/enhance.ts <checkpoint> <input image> <output.png>');
  process.exit(2);
}

const backend = await selectBackend('auto'); // tfjs-node if installed, else wasm, else cpu
console.log(`backend: ${backend.name} (${backend.reason})`);

const { model } = await loadModel(checkpoint);
const photo = await readImage(input); // PNG / JPEG / TIFF / BMP, 8 or 16 bit → RGB floats in [0,1]
const x = imageToTensor(photo); // [1, H, W, 3]; any H x W (the model pads to its window grid and crops back)
const y = model.enhance(x);
await writeImage(output, tensorToImage(y), { bitDepth: photo.bitDepth }); // clipped to [0,1], written atomically
console.log(`${input} (${photo.width}x${photo.height}) -> ${output}`);

x.dispose();
y.dispose();
model.dispose();
