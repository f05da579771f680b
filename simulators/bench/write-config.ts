import { writeFileSync } from 'node:fs'
import { benchConfig } from './bench-config.js'

/**
 * `node --import tsx simulators/bench/write-config.ts <file> [background devices] [alarm devices]`: the bench's
 * gateway configuration, for tools that load a configuration file (gateway/src/cli/pipeline-micro.ts).
 */
const [file, background = '1000', alarm = '100'] = process.argv.slice(2)
if (!file) {
  process.stderr.write('usage: write-config.ts <file> [background devices] [alarm devices]\n')
  process.exit(2)
}
writeFileSync(file, JSON.stringify(benchConfig({ latency: 10, background: Number(background), alarm: Number(alarm), scale: 0, canary: 0, espaPort: null, devicePublishRate: 1000 })))
