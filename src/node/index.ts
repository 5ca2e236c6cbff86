// masr-net/node: Node-only parts (image files via sharp, datasets on disk, fs save/load handlers, CLI commands).
export * from '../data/index';
