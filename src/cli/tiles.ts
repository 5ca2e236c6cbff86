// Tiled inference moved to the model (MASRNet.enhanceTiled); the CLI and its tests keep this path.
export { tileStarts, tiledApply, checkTileSize } from '../models/tiles';
