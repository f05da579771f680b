import type { DeviceAdapter } from './define.js'
import bedMonitor from './devices/bed-monitor.js'
import nurseCallPoint from './devices/nurse-call-point.js'
import pendant from './devices/pendant.js'
import pirMotion from './devices/pir-motion.js'
import presenceButton from './devices/presence-button.js'
import seizureMonitor from './devices/seizure-monitor.js'

/** Every device type the gateway knows. One line per file in devices/ (checked by test/registry.test.ts). */
export const deviceAdapters: readonly DeviceAdapter[] = [bedMonitor, seizureMonitor, pirMotion, presenceButton, pendant, nurseCallPoint]

export type { DeviceAdapter, DecodeResult, DecodedEvent } from './define.js'
