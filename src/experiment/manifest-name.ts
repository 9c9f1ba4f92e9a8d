/** The file at the root of an experiment's output folder that lists its settings. */
export const EXPERIMENT_MANIFEST = 'experiment.json';
