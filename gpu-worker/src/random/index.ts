export { fillGaussian, gaussian } from './gaussian';
export { SeededRandom } from './seeded-random';
export { TorchCpuGenerator, type TorchNoiseSource, torchCpuRandn } from './torch-cpu-randn';
