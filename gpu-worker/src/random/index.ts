export { fillGaussian, gaussian } from './gaussian';
export { SeededRandom } from './seeded-random';
