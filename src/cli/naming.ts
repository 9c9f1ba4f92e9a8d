import { LIBRARY_NAMING, type OptionNaming } from '../errors.js';
import { cliFlag, commandOptions, COMMAND_CONTEXTS, optionNames, type CommandName } from '../options/schema.js';

/** The flags of the calibration set, by the library's names of it and of its parts. */
const CALIBRATION_FLAGS: Readonly<Record<string, string>> = {
  calibration: '--calibration-scores',
  'calibration.scores': '--calibration-scores',
  'calibration.labels': '--calibration-labels',
};

/** The positional arguments of commands, by the library's names of them. */
const POSITIONAL_NAMES: Partial<Record<CommandName, Readonly<Record<string, string>>>> = { report: { dirs: 'DIR' } };

/**
 * Options named as `command` takes them: by its flags (`--icl-examples`, `--bootstrap none`) or
 * positional arguments (`DIR`); an option the command does not take keeps its library name.
 *
 * @example
 * commandNaming('evaluate').option('iclExamples'); // '--icl-examples'
 * commandNaming('evaluate').setting('force', true); // '--force'
 */
export function commandNaming(command: CommandName): OptionNaming {
  const contexts = COMMAND_CONTEXTS[command];
  const hasCalibration = contexts.some((context) => optionNames(context).includes('calibration'));
  const flags = new Set(commandOptions(command).map(({ declaration }) => declaration.name));
  const option = (name: string): string => {
    const positional = POSITIONAL_NAMES[command]?.[name];
    if (positional !== undefined) return positional;
    const calibrationFlag = CALIBRATION_FLAGS[name];
    if (calibrationFlag !== undefined && hasCalibration) return calibrationFlag;
    return flags.has(name) ? cliFlag(name) : name;
  };
  return {
    option,
    setting: (name, value) => {
      if (!flags.has(name)) return LIBRARY_NAMING.setting(name, value);
      return value === true ? cliFlag(name) : `${cliFlag(name)} ${value}`;
    },
  };
}

/**
 * A library warning as `naming` names options: a warning about an option starts with its library
 * key (`modelScores: …`), which becomes the command's flag (`--model-scores: …`); a start that is
 * no option is kept.
 *
 * @example
 * warningNamedBy('modelScores: every row is in [0, 1] …', commandNaming('label')); // '--model-scores: every row is in [0, 1] …'
 */
export function warningNamedBy(message: string, naming: OptionNaming): string {
  const colon = message.indexOf(': ');
  return colon <= 0 ? message : naming.option(message.slice(0, colon)) + message.slice(colon);
}
