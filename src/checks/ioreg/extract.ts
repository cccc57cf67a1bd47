/**
 * Constraints from the I/O Registry, read where the kernel puts them (docs/constraints.md,
 * "Reading constraints from the machine"):
 *
 * - on the controller: the keys of UserReportHBAConstraints that IOSCSIParallelInterfaceController
 *   ::AllocateSCSIParallelTasks copies into its properties (six segment keys, the addressable
 *   bit count, hierarchical LUN support; never "HBA Data Alignment", which it only reads), and
 *   IOCommandPoolSize, the number of tasks it allocated (UserReportMaximumTaskCount);
 * - IOMaximumByteCount* / IOMaximumBlockCount*: on the disk object under each logical unit
 *   (IOSCSIBlockCommandsDevice publishes them), found the way IOBlockStorageDriver finds them:
 *   the nearest object upward from the block storage driver that has the key;
 * - block size and capacity: the whole-disk IOMedia ("Preferred Block Size", "Size") when
 *   there is exactly one logical unit under the controller.
 *
 * UserGetDMASpecification's values are not registry properties: a dump cannot show them.
 */
import { constraintDef, parseConstraintValue, quoteExcerpt, type ConstraintConfig, type ConstraintId, type ConstraintProblem } from '../constraints.js';
import { upward, walk, type RegistryObject, type RegistryValue } from './registry.js';

/** The DriverKit controller class (kernel side of a dext's IOUserSCSIParallelInterfaceController). */
const DEXT_CLASS = 'IOUserSCSIParallelInterfaceController';
const KEXT_BASE_CLASS = 'IOSCSIParallelInterfaceController';

/** Keys the controller itself publishes (searched on it, then its parents). */
const CONTROLLER_KEYS: ReadonlyArray<[string, ConstraintId]> = [
  ['IOMaximumSegmentCountRead', 'maxSegmentCountRead'],
  ['IOMaximumSegmentCountWrite', 'maxSegmentCountWrite'],
  ['IOMaximumSegmentByteCountRead', 'maxSegmentByteCountRead'],
  ['IOMaximumSegmentByteCountWrite', 'maxSegmentByteCountWrite'],
  ['IOMinimumSegmentAlignmentByteCount', 'minSegmentAlignment'],
  ['IOMaximumSegmentAddressableBitCount', 'addressBits'],
  ['SCSI Hierarchical Logical Unit Support', 'hierarchicalLunSupport'],
  ['IOCommandPoolSize', 'maxTasksInFlight'],
];

/** Keys the block storage driver looks up from itself upward (IOBlockStorageDriver::handleStart). */
const TRANSFER_KEYS: ReadonlyArray<[string, ConstraintId]> = [
  ['IOMaximumByteCountRead', 'maxByteCountRead'],
  ['IOMaximumByteCountWrite', 'maxByteCountWrite'],
  ['IOMaximumBlockCountRead', 'maxBlockCountRead'],
  ['IOMaximumBlockCountWrite', 'maxBlockCountWrite'],
];

export interface ControllerChoice {
  /** Which controller to use when the dump has several: name, class, IOUserClass, bundle id or registry id. */
  controller?: string;
}

/** Is this object a SCSI parallel controller (dext or kext)? */
export function controllerKind(o: RegistryObject): 'dext' | 'kext' | undefined {
  const userClasses = o.properties.get('IOUserClasses');
  if (o.className === DEXT_CLASS || (Array.isArray(userClasses) && userClasses.includes(DEXT_CLASS)) || o.properties.get('IOClass') === DEXT_CLASS)
    return 'dext';
  if (o.className === KEXT_BASE_CLASS || o.inheritance?.includes(KEXT_BASE_CLASS)) return 'kext';
  // A kext subclass without -i: the family's own properties give it away ("SCSI Initiator
  // Identifier" is set only on the controller, IOSCSIParallelInterfaceController::start).
  if (o.properties.has('SCSI Initiator Identifier') && o.className !== 'IOSCSIParallelInterfaceDevice') return 'kext';
  return undefined;
}

/** How a person names this controller in a message. */
export function describeController(o: RegistryObject): string {
  const parts = [o.className || 'class unknown'];
  if (o.id !== undefined) parts.push(`id 0x${o.id.toString(16)}`);
  const domain = dictValue(o.properties.get('Protocol Characteristics'), 'SCSI Domain Identifier');
  if (typeof domain === 'bigint') parts.push(`SCSI domain ${domain}`);
  parts.push(`line ${o.line}`);
  return `${o.name || '(no name)'} (${parts.join(', ')})`;
}

function dictValue(v: RegistryValue | undefined, key: string): RegistryValue | undefined {
  return v instanceof Map ? v.get(key) : undefined;
}

function matchesChoice(o: RegistryObject, choice: string): boolean {
  const c = choice.toLowerCase();
  const names = [o.name, o.className, o.properties.get('IOUserClass'), o.properties.get('CFBundleIdentifier'), o.properties.get('IOUserServerName')];
  if (names.some((n) => typeof n === 'string' && n.toLowerCase() === c)) return true;
  if (o.id !== undefined && /^(0x)?[0-9a-f]+$/i.test(choice)) {
    try {
      return BigInt(choice.toLowerCase().startsWith('0x') ? choice : `0x${choice}`) === o.id;
    } catch {
      return false;
    }
  }
  return false;
}

export class RegistrySelectionError extends Error {}

/**
 * The constraints of one controller in a registry dump. Throws RegistrySelectionError when no
 * controller is there or the choice matches none or several.
 */
export function constraintsFromRegistry(
  roots: readonly RegistryObject[],
  source: string,
  choice: ControllerChoice = {},
): { config: ConstraintConfig; problems: ConstraintProblem[] } {
  const controllers = [...walk(roots)].filter((o) => controllerKind(o) !== undefined);
  if (!controllers.length) {
    throw new RegistrySelectionError(
      `no SCSI parallel controller in this ioreg dump (no ${DEXT_CLASS}, no object with "SCSI Initiator Identifier"); make it with: ioreg -a -l -r -c ${DEXT_CLASS}`,
    );
  }
  const list = (os: RegistryObject[]): string => os.slice(0, 8).map(describeController).join('; ') + (os.length > 8 ? `; and ${os.length - 8} more` : '');
  let chosen: RegistryObject;
  const notes: string[] = [];
  if (choice.controller !== undefined) {
    const hits = controllers.filter((o) => matchesChoice(o, choice.controller!));
    if (!hits.length)
      throw new RegistrySelectionError(`no controller here matches --controller ${quoteExcerpt(choice.controller)}; the controllers are: ${list(controllers)}`);
    if (hits.length > 1)
      throw new RegistrySelectionError(
        `--controller ${quoteExcerpt(choice.controller)} matches ${hits.length} controllers: ${list(hits)}; name one by its registry id`,
      );
    chosen = hits[0]!;
  } else {
    chosen = controllers[0]!;
    if (controllers.length > 1) {
      notes.push(
        `the dump has ${controllers.length} SCSI controllers; used the first, ${describeController(chosen)}; choose another with --controller <name, class or registry id> (the others: ${list(controllers.slice(1))})`,
      );
    }
  }

  const kind = controllerKind(chosen)!;
  const config: ConstraintConfig = { source, values: {}, spelled: {}, origin: {}, notes, description: `ioreg: ${describeController(chosen)}` };
  const problems: ConstraintProblem[] = [];
  const set = (id: ConstraintId, raw: RegistryValue, key: string, from: RegistryObject): void => {
    const parsed = parseConstraintValue(constraintDef(id), typeof raw === 'bigint' && id === 'hbaDataAlignmentMask' ? BigInt.asUintN(64, raw) : raw);
    if (parsed.error !== undefined) {
      problems.push({ key, message: `${parsed.error} (on ${from.name || from.className}, line ${from.line})`, line: from.line });
      return;
    }
    config.values[id] = parsed.value!;
    config.spelled[id] = key;
    config.origin![id] = `${source}: ${from === chosen ? chosen.name || chosen.className : `${from.name || from.className} (line ${from.line})`}`;
  };
  /** The key's value as the kernel finds it: on `start`, else its nearest parent that has it (copyProperty with kIORegistryIterateParents). */
  const lookUp = (start: RegistryObject, key: string): { value: RegistryValue; from: RegistryObject } | undefined => {
    for (const o of upward(start)) {
      if (o.clipped?.has(key)) {
        notes.push(
          `"${key}" on ${o.name || o.className} (line ${o.line}) was clipped at the terminal width ('$'); rerun ioreg with -w0 or redirect it to a file`,
        );
        return undefined;
      }
      const value = o.properties.get(key);
      if (value !== undefined) return { value, from: o };
    }
    return undefined;
  };

  config.values.platform = kind;
  config.spelled.platform = 'platform';
  config.origin!.platform = `${source}: class ${kind === 'dext' ? DEXT_CLASS : chosen.className || KEXT_BASE_CLASS}`;

  for (const [key, id] of CONTROLLER_KEYS) {
    const found = lookUp(chosen, key);
    if (found) set(id, found.value, key, found.from);
  }
  if (config.values.maxTasksInFlight !== undefined) {
    notes.push(
      'IOCommandPoolSize is the number of tasks the family allocated for UserReportMaximumTaskCount (unless the driver published its own IOCommandPoolSize): taken as the limit of tasks in flight',
    );
  }

  // Transfer limits: per logical unit, the value its block storage driver sees.
  const storageDrivers = [...walk([chosen])].filter((o) => o.className === 'IOBlockStorageDriver');
  const disks = storageDrivers.length ? storageDrivers : [...walk([chosen])].filter((o) => /^IOSCSIPeripheralDeviceType/.test(o.className));
  const starts = disks.length ? disks : [chosen];
  for (const [key, id] of TRANSFER_KEYS) {
    const seen = starts.map((start) => lookUp(start, key)).filter((x) => x !== undefined);
    if (!seen.length) continue;
    const numeric = seen.filter((s) => typeof s.value === 'bigint');
    const smallest = numeric.length ? numeric.reduce((a, b) => ((b.value as bigint) < (a.value as bigint) ? b : a)) : seen[0]!;
    if (new Set(numeric.map((s) => (s.value as bigint).toString())).size > 1) {
      notes.push(`${key} differs across the ${starts.length} logical units under the controller; used the smallest, ${registryText(smallest.value)}`);
    }
    set(id, smallest.value, key, smallest.from);
  }

  // Block size and capacity, only when one logical unit makes them unambiguous.
  const wholeMedia = [...walk([chosen])].filter((o) => o.className === 'IOMedia' && o.properties.get('Whole') === true);
  if (wholeMedia.length === 1) {
    const media = wholeMedia[0]!;
    const block = media.properties.get('Preferred Block Size');
    const size = media.properties.get('Size');
    if (typeof block === 'bigint' && block > 0n) {
      set('logicalBlockSize', block, 'Preferred Block Size', media);
      if (typeof size === 'bigint' && size > 0n && size % block === 0n) set('capacityBlocks', size / block, 'Size', media);
    }
  } else if (wholeMedia.length > 1) {
    const sizes = new Set(wholeMedia.map((m) => registryText(m.properties.get('Preferred Block Size'))));
    const block = wholeMedia[0]!.properties.get('Preferred Block Size');
    if (sizes.size === 1 && typeof block === 'bigint' && block > 0n) set('logicalBlockSize', block, 'Preferred Block Size', wholeMedia[0]!);
    notes.push(
      `${wholeMedia.length} logical units under the controller: ${sizes.size === 1 ? 'capacities differ' : 'capacities and block sizes differ'} per unit and are not taken from the dump (the checker learns them per unit from the trace)`,
    );
  }

  const absent: string[] = [];
  if (kind === 'dext') absent.push('UserGetDMASpecification (dmaMaxTransferSize, dmaAlignment, dmaNumAddressBits)');
  absent.push('"HBA Data Alignment" (read by the kernel, never published)');
  notes.push(`not in the registry: ${absent.join(' and ')}; add what you know in a JSON constraints file given after this one (-c dump -c more.json)`);
  config.notes = [...new Set(notes)];
  return { config, problems };
}

/** A registry value as text, for messages and comparisons: numbers in decimal, anything else by its type. */
function registryText(v: RegistryValue | undefined): string {
  if (v === undefined) return 'none';
  if (typeof v === 'bigint' || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') return String(v);
  return v instanceof Uint8Array ? `<${v.length} bytes>` : Array.isArray(v) ? 'an array' : 'a dictionary';
}
