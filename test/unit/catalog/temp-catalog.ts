// A real catalog file in a temp directory for the repository tests, reopened as a restarted hub would.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Catalog } from '../../../src/catalog/catalog.js';

export class TempCatalog {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drc-catalog-'));
  readonly file = path.join(this.dir, 'catalog.db');
  catalog = new Catalog(this.file);

  /** close the file and open it again */
  reopen(): Catalog {
    this.catalog.close();
    this.catalog = new Catalog(this.file);
    return this.catalog;
  }

  dispose(): void {
    if (this.catalog.db.open) this.catalog.close();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
