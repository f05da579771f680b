import type { DeviceAdapter } from './define.js'
import bedMonitor from './devices/bed-monitor.js'
import nurseCallPoint from './devices/nurse-call-point.js'
import pendant from './devices/pendant.js'
import pirMotion from './devices/pir-motion.js'
import presenceButton from './devices/presence-button.js'
import seizureMonitor from './devices/seizure-monitor.js'
import z2mDoorContact from './devices/z2m-door-contact.js'
import z2mPir from './devices/z2m-pir.js'
import z2mPressureMat from './devices/z2m-pressure-mat.js'
import z2mSeizureBase from './devices/z2m-seizure-base.js'
import z2mVibration from './devices/z2m-vibration.js'
import z2mWaterLeak from './devices/z2m-water-leak.js'

/** Every device type the gateway knows. One line per file in devices/ (checked by test/registry.test.ts). */
export const deviceAdapters: readonly DeviceAdapter[] = [bedMonitor, seizureMonitor, pirMotion, presenceButton, pendant, nurseCallPoint,
  z2mPir, z2mDoorContact, z2mVibration, z2mWaterLeak, z2mPressureMat, z2mSeizureBase,
]

export type { DeviceAdapter, DecodeResult, DecodedEvent } from './define.js'
export { ContactModuleInput, contactModuleConfig, type ContactModuleConfig } from './serial/contact-module.js'
