import { parseArgs } from 'node:util'
import { connectSimulatedDevice, type SimulatedDevice } from '../lib/mqtt-device.js'

/** A bed occupancy monitor: out_of_bed / in_bed / heartbeat. */
export class BedMonitorSimulator {
  constructor(readonly device: SimulatedDevice) {}
  outOfBed = () => this.device.send('out_of_bed')
  inBed = () => this.device.send('in_bed')
  heartbeat = () => this.device.send('heartbeat')
}

/**
 * Command line: send events from a script of steps, e.g.
 *   node --import tsx simulators/devices/bed-monitor.ts --device bed-r12 --password <secret> --steps out,wait:40,in
 */
async function cli(): Promise<void> {
  const { values } = parseArgs({ options: { url: { type: 'string', default: 'mqtt://127.0.0.1:1883' }, site: { type: 'string', default: 'oak-house' }, device: { type: 'string', default: 'bed-r12' }, password: { type: 'string' }, steps: { type: 'string', default: 'out' } } })
  if (!values.password) throw new Error('--password is required (see data/new-credentials.json)')
  const sim = new BedMonitorSimulator(await connectSimulatedDevice({ url: values.url!, site: values.site!, deviceId: values.device!, password: values.password }))
  for (const step of values.steps!.split(',')) {
    if (step.startsWith('wait:')) await new Promise((r) => setTimeout(r, Number(step.slice(5)) * 1000))
    else if (step === 'out') console.log('out_of_bed', await sim.outOfBed())
    else if (step === 'in') console.log('in_bed', await sim.inBed())
    else if (step === 'hb') console.log('heartbeat', await sim.heartbeat())
    else throw new Error(`unknown step '${step}' (use out, in, hb, wait:<seconds>)`)
  }
  await sim.device.close()
}

if (import.meta.url === `file://${process.argv[1]}`) cli().catch((err: unknown) => { console.error((err as Error).message); process.exit(1) })
