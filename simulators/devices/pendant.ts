import { parseArgs } from 'node:util'
import { connectSimulatedDevice, type SimulatedDevice } from '../lib/mqtt-device.js'

/** A native-JSON pendant: help call, daily check-in, heartbeat. */
export class PendantSimulator {
  constructor(readonly device: SimulatedDevice) {}
  helpCall = () => this.device.send('help_call')
  checkIn = () => this.device.send('check_in')
  heartbeat = () => this.device.send('heartbeat')
}

/** `node --import tsx simulators/devices/pendant.ts --device pend-r30 --password <secret> --steps help` */
async function cli(): Promise<void> {
  const { values } = parseArgs({ options: { url: { type: 'string', default: 'mqtt://127.0.0.1:1883' }, site: { type: 'string', default: 'oak-house' }, device: { type: 'string', default: 'pend-r30' }, password: { type: 'string' }, steps: { type: 'string', default: 'help' } } })
  if (!values.password) throw new Error('--password is required')
  const sim = new PendantSimulator(await connectSimulatedDevice({ url: values.url!, site: values.site!, deviceId: values.device!, password: values.password }))
  for (const step of values.steps!.split(',')) {
    if (step.startsWith('wait:')) await new Promise((r) => setTimeout(r, Number(step.slice(5)) * 1000))
    else if (step === 'help') console.log('help_call', await sim.helpCall())
    else if (step === 'checkin') console.log('check_in', await sim.checkIn())
    else if (step === 'hb') console.log('heartbeat', await sim.heartbeat())
    else throw new Error(`unknown step '${step}' (use help, checkin, hb, wait:<seconds>)`)
  }
  await sim.device.close()
}

if (import.meta.url === `file://${process.argv[1]}`) cli().catch((err: unknown) => { console.error((err as Error).message); process.exit(1) })
