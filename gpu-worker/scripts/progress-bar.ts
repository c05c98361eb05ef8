/** A one-line progress bar on a TTY (redrawn in place), one line per 10% otherwise (logs, CI). */
export function progressBar(stream: NodeJS.WriteStream, width = 30) {
  const started = performance.now();
  let lastDecile = -1;
  return {
    update(step: number, total: number): void {
      const fraction = total > 0 ? step / total : 1;
      const seconds = (performance.now() - started) / 1000;
      const rate = seconds > 0 ? step / seconds : 0;
      const filled = Math.round(fraction * width);
      const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${step}/${total} steps, ${rate.toFixed(1)} it/s`;
      if (stream.isTTY) {
        stream.write(`\r${line}${step === total ? '\n' : ''}`);
      } else {
        const decile = Math.floor(fraction * 10);
        if (decile !== lastDecile) stream.write(`${line}\n`);
        lastDecile = decile;
      }
    },
  };
}
