/**
 * A live Vega-Lite chart on a canvas: rebuilt when its structure (its key) changes and fed new rows otherwise; one
 * redraw at a time, the latest request wins. `body[data-charts]` counts finished redraws (tests wait on it).
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** A Vega view in a container, rebuilt when its structure changes and fed new rows otherwise. */
export class LiveChart {
  private view: vega.View | undefined;
  private key = '';
  private pending: { spec: () => TopLevelSpec; key: string; data: string; values: object[] } | undefined;
  private busy = false;

  /** `onError` hears about a chart that failed to build or draw. */
  constructor(
    private readonly container: HTMLElement,
    private readonly onError: (message: string) => void,
  ) {}

  /** Shows `values` in data set `data`; `spec` builds the chart when `key` differs from the current one. */
  update(key: string, data: string, values: object[], spec: () => TopLevelSpec): void {
    this.pending = { spec, key, data, values };
    if (!this.busy) void this.flush();
  }

  clear(): void {
    this.pending = undefined;
    this.view?.finalize();
    this.view = undefined;
    this.key = '';
    this.container.replaceChildren();
  }

  private async flush(): Promise<void> {
    this.busy = true;
    try {
      while (this.pending) {
        const { spec, key, data, values } = this.pending;
        this.pending = undefined;
        if (this.view && key === this.key) {
          try {
            await this.view.data(data, values).runAsync();
            continue;
          } catch {
            // fall through: rebuild
          }
        }
        this.view?.finalize();
        this.container.replaceChildren();
        this.view = new vega.View(vega.parse(compile(spec()).spec), {
          renderer: 'canvas',
          container: this.container,
          hover: false,
        });
        this.key = key;
        await this.view.runAsync();
      }
    } catch (e) {
      this.onError(`chart: ${(e as Error).message}`);
    } finally {
      this.busy = false;
      document.body.dataset.charts = String(Number(document.body.dataset.charts ?? '0') + 1);
    }
  }
}
