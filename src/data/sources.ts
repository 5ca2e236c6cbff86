import {
  describePairing,
  findPairedDataset,
  listImagesDeep,
  pairFolders,
  LOWLIGHT_V1,
  checkProtocol,
  type PairSource,
  type SynthesisProtocol,
  type PairedLayout,
  type Split,
} from './index';
import { UsageError } from './errors';
import type { Reporter } from '../reporter';

/** Where pairs come from, as the commands' options name it: exactly one of `data`, `lowDir`+`highDir`, `photos`. */
export interface SourceOptions {
  /** A paired dataset root (LOL-v1, LOL-v2, LSRW or low/high folders). */
  data?: string;
  layout?: PairedLayout | 'auto';
  lolv2Subset?: 'real' | 'synthetic';
  /** Two folders whose files are matched by name. */
  lowDir?: string;
  highDir?: string;
  /** Well-exposed photos (searched recursively; several folders separated by commas), darkened synthetically. */
  photos?: string;
  /** The darkening protocol of `photos` (default lowlight-v1). */
  synthesis?: SynthesisProtocol;
  /** Seed of the synthetic darkening. */
  seed?: number;
}

/** Check exactly one source is named. */
export function checkOneSource(o: SourceOptions, command: string): 'data' | 'folders' | 'photos' {
  const kinds = [o.data ? 'data' : '', o.lowDir || o.highDir ? 'folders' : '', o.photos ? 'photos' : ''].filter(
    Boolean,
  );
  if (kinds.length !== 1) {
    throw new UsageError(
      `${command} needs exactly one data source: --data DIR (LOL-v1/LOL-v2/LSRW/low+high folders), --low-dir DIR --high-dir DIR, or --photos DIR (synthetic ${LOWLIGHT_V1} pairs)`,
    );
  }
  if (kinds[0] === 'folders' && !(o.lowDir && o.highDir)) throw new UsageError('--low-dir and --high-dir go together');
  return kinds[0] as 'data' | 'folders' | 'photos';
}

/** Load a source's pair list for a split, reporting unmatched files. */
export async function openSource(
  o: SourceOptions,
  split: Split,
  reporter: Reporter,
  command: string,
): Promise<{ source: PairSource; label: string }> {
  const kind = checkOneSource(o, command);
  if (kind === 'photos') {
    let protocol: SynthesisProtocol;
    try {
      protocol = checkProtocol(o.synthesis ?? LOWLIGHT_V1);
    } catch (e) {
      throw new UsageError(`--synthesis: ${(e as Error).message}`);
    }
    const photos: string[] = [];
    for (const dir of photoFolders(o.photos!)) photos.push(...(await listImagesDeep(dir)));
    return {
      source: { kind: 'synthetic', photos, protocol, seed: o.seed ?? 0 },
      label: `${photos.length} photos in ${o.photos} with synthetic ${protocol} darkening (seed ${o.seed ?? 0})`,
    };
  }
  if (kind === 'folders') {
    const report = await pairFolders(o.lowDir!, o.highDir!);
    if (report.unmatchedInputs.length || report.unmatchedTargets.length)
      reporter.warn(`unmatched files: ${describePairing(report)}`);
    return {
      source: { kind: 'pairs', pairs: report.pairs },
      label: `${report.pairs.length} pairs from ${o.lowDir} + ${o.highDir}`,
    };
  }
  const ds = await findPairedDataset(o.data!, split, { layout: o.layout, lolv2Subset: o.lolv2Subset });
  if (ds.unmatchedInputs.length || ds.unmatchedTargets.length)
    reporter.warn(`unmatched files in ${o.data}: ${describePairing(ds)}`);
  return {
    source: { kind: 'pairs', pairs: ds.pairs },
    label: `${ds.pairs.length} ${split} pairs, ${ds.layout} layout, from ${ds.folders.map((f) => f[0]).join(', ')}`,
  };
}

/** The folders of a `--photos` value: one folder, or several separated by commas. */
export function photoFolders(value: string): string[] {
  const dirs = value
    .split(',')
    .map((d) => d.trim())
    .filter(Boolean);
  if (dirs.length === 0) throw new UsageError(`--photos: no folder in '${value}'`);
  return dirs;
}

/** Split the last `count` items off a source (for validation when no separate set is given). */
export function holdOut(source: PairSource, count: number): { train: PairSource; val: PairSource } {
  if (source.kind === 'pairs') {
    const n = source.pairs.length;
    if (count >= n)
      throw new UsageError(
        `cannot hold out ${count} of ${n} pairs for validation: lower --val-count or give --val-data`,
      );
    return {
      train: { ...source, pairs: source.pairs.slice(0, n - count) },
      val: { ...source, pairs: source.pairs.slice(n - count) },
    };
  }
  const n = source.photos.length;
  if (count >= n)
    throw new UsageError(
      `cannot hold out ${count} of ${n} photos for validation: lower --val-count or give --val-photos`,
    );
  return {
    train: { ...source, photos: source.photos.slice(0, n - count) },
    val: { ...source, photos: source.photos.slice(n - count) },
  };
}
