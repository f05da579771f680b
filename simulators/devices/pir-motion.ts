import { parseArgs } from 'node:util'
import { connectSimulatedDevice, type SimulatedDevice } from '../lib/mqtt-device.js'

/** A native-JSON PIR motion sensor: motion / tamper / heartbeat. */
export class PirMotionSimulator {
  constructor(readonly device: SimulatedDevice) {}
  motion = () => this.device.send('motion')
  tamper = () => this.device.send('tamper')
  heartbeat = () => this.device.send('heartbeat')
}

/** `node --import tsx simulators/devices/pir-motion.ts --device pir-r12 --password <secret> --steps motion,wait:5,motion` */
async function cli(): Promise<void> {
  const { values } = parseArgs({ options: { url: { type: 'string', default: 'mqtt://127.0.0.1:1883' }, site: { type: 'string', default: 'oak-house' }, device: { type: 'string', default: 'pir-r12' }, password: { type: 'string' }, steps: { type: 'string', default: 'motion' } } })
  if (!values.password) throw new Error('--password is required')
  const sim = new PirMotionSimulator(await connectSimulatedDevice({ url: values.url!, site: values.site!, deviceId: values.device!, password: values.password }))
  for (const step of values.steps!.split(',')) {
    if (step.startsWith('wait:')) await new Promise((r) => setTimeout(r, Number(step.slice(5)) * 1000))
    else if (step === 'motion') console.log('motion', await sim.motion())
    else if (step === 'tamper') console.log('tamper', await sim.tamper())
    else if (step === 'hb') console.log('heartbeat', await sim.heartbeat())
    else throw new Error(`unknown step '${step}' (use motion, tamper, hb, wait:<seconds>)`)
  }
  await sim.device.close()
}

if (import.meta.url === `file://${process.argv[1]}`) cli().catch((err: unknown) => { console.error((err as Error).message); process.exit(1) })
