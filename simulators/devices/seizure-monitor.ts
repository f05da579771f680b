import { parseArgs } from 'node:util'
import { connectSimulatedDevice, type SimulatedDevice } from '../lib/mqtt-device.js'

/** An Epi-Care-style seizure monitor base station: seizure_alarm / seizure_cleared / heartbeat. */
export class SeizureMonitorSimulator {
  constructor(readonly device: SimulatedDevice) {}
  alarm = () => this.device.send('seizure_alarm')
  cleared = () => this.device.send('seizure_cleared')
  heartbeat = () => this.device.send('heartbeat')
}

/** Command line: `node --import tsx simulators/devices/seizure-monitor.ts --device sz-r14 --password <secret> --steps alarm,wait:20,cleared` */
async function cli(): Promise<void> {
  const { values } = parseArgs({ options: { url: { type: 'string', default: 'mqtt://127.0.0.1:1883' }, site: { type: 'string', default: 'oak-house' }, device: { type: 'string', default: 'sz-r14' }, password: { type: 'string' }, steps: { type: 'string', default: 'alarm' } } })
  if (!values.password) throw new Error('--password is required (see data/new-credentials.json)')
  const sim = new SeizureMonitorSimulator(await connectSimulatedDevice({ url: values.url!, site: values.site!, deviceId: values.device!, password: values.password }))
  for (const step of values.steps!.split(',')) {
    if (step.startsWith('wait:')) await new Promise((r) => setTimeout(r, Number(step.slice(5)) * 1000))
    else if (step === 'alarm') console.log('seizure_alarm', await sim.alarm())
    else if (step === 'cleared') console.log('seizure_cleared', await sim.cleared())
    else if (step === 'hb') console.log('heartbeat', await sim.heartbeat())
    else throw new Error(`unknown step '${step}' (use alarm, cleared, hb, wait:<seconds>)`)
  }
  await sim.device.close()
}

if (import.meta.url === `file://${process.argv[1]}`) cli().catch((err: unknown) => { console.error((err as Error).message); process.exit(1) })
