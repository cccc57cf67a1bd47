import { describe, expect, it } from 'vitest';
import {
  ascName,
  cdbLength,
  commandName,
  decodeCdb,
  opcodeName,
  samStatusName,
  senseKeyName,
  serviceActionName,
  serviceResponseName,
  taskStatusName,
} from '../../src/scsi/index.js';
import { DeliveryStatus, SamStatus, ServiceResponse } from '../../src/model/events.js';
import { hex } from '../helpers/hex.js';

describe('opcode and command names', () => {
  it('prefers the all-device, then disk, meaning of a shared opcode', () => {
    expect(opcodeName(0x42)).toBe('UNMAP'); // READ SUB-CHANNEL on MMC
    expect(opcodeName(0x01)).toBe('REZERO UNIT'); // REWIND on tape
    expect(opcodeName(0xb5)).toBe('SECURITY PROTOCOL OUT'); // medium changer lists another first
    expect(opcodeName(0x34)).toBe('PRE-FETCH(10)');
  });

  it('falls back to hex for vendor specific and unassigned opcodes', () => {
    expect(opcodeName(0xc5)).toBe('VENDOR SPECIFIC 0xC5');
    expect(opcodeName(0xff)).toBe('VENDOR SPECIFIC 0xFF');
    expect(opcodeName(0x27)).toBe('OPERATION CODE 0x27');
    expect(opcodeName(300)).toBe('OPERATION CODE 300');
    expect(opcodeName(-1)).toBe('OPERATION CODE -1');
  });

  it('names service-action commands by their service action', () => {
    expect(commandName(hex`9e 10 | 00 00 00 00 00 00 00 00 | 00 00 00 20 | 00 00`)).toBe('READ CAPACITY(16)');
    expect(commandName(hex`9e 12 00 00`)).toBe('GET LBA STATUS(16)');
    expect(commandName(hex`a3 0c 00`)).toBe('REPORT SUPPORTED OPERATION CODES');
    expect(commandName(hex`a3 0a 00`)).toBe('REPORT TARGET PORT GROUPS');
    expect(commandName(hex`a4 0f 00`)).toBe('SET TIMESTAMP');
    expect(commandName(hex`83 01 00`)).toBe('EXTENDED COPY');
    expect(commandName(hex`84 03 00`)).toBe('RECEIVE COPY OPERATING PARAMETERS');
    expect(commandName(hex`95 00 00`)).toBe('REPORT ZONES');
    // The service action is bits 4:0 only; other bits of byte 1 do not change the name.
    expect(commandName(hex`a3 ec 00`)).toBe('REPORT SUPPORTED OPERATION CODES');
  });

  it('names variable-length CDBs by the 16-bit service action in bytes 8-9', () => {
    const read32 = new Uint8Array(32);
    read32.set([0x7f, 0, 0, 0, 0, 0, 0, 0x18, 0x00, 0x09]);
    expect(commandName(read32)).toBe('READ(32)');
    read32[9] = 0x0b;
    expect(commandName(read32)).toBe('WRITE(32)');
    read32.set([0x1f, 0xf0], 8);
    expect(commandName(read32)).toBe('ATA PASS-THROUGH(32)');
    read32.set([0x12, 0x34], 8);
    expect(commandName(read32)).toBe('VARIABLE LENGTH CDB (SERVICE ACTION 0x1234)');
    expect(opcodeName(0x7f, 0x1234)).toBe('VARIABLE LENGTH CDB (SERVICE ACTION 0x1234)');
  });

  it('falls back for unknown service actions and too-short CDBs', () => {
    expect(commandName(hex`9e 1f`)).toBe('SERVICE ACTION IN(16) (SERVICE ACTION 0x1F)');
    expect(opcodeName(0xa3, 0x1b)).toBe('MAINTENANCE IN (SERVICE ACTION 0x1B)');
    expect(commandName(hex`9e`)).toBe('SERVICE ACTION IN(16)');
    expect(commandName(hex`7f 00 00`)).toBe('VARIABLE LENGTH CDB');
    expect(commandName(new Uint8Array(0))).toBe('EMPTY CDB');
  });

  it('keeps sub-function service actions out of the command name', () => {
    expect(commandName(hex`5f 01 00`)).toBe('PERSISTENT RESERVE OUT');
    expect(opcodeName(0x5f, 0x01)).toBe('PERSISTENT RESERVE OUT');
    expect(serviceActionName(0x5e, 0x00)).toBe('READ KEYS');
    expect(serviceActionName(0x48, 0x03)).toBe('CRYPTOGRAPHIC ERASE');
    expect(serviceActionName(0x3b, 0x05)).toBe('DOWNLOAD MICROCODE, SAVE, AND ACTIVATE');
    expect(serviceActionName(0x5f, 0x1e)).toBeUndefined();
  });

  it('commandName agrees with decodeCdb for every opcode', () => {
    for (let op = 0; op < 256; op++) {
      for (const sa of [0x00, 0x0c, 0x10, 0x12]) {
        const cdb = new Uint8Array(16);
        cdb[0] = op;
        cdb[1] = sa;
        expect(decodeCdb(cdb).name).toBe(commandName(cdb));
      }
    }
  });
});

describe('cdbLength (SPC-6 4.2.5.1 group codes)', () => {
  it('gives the length of each group', () => {
    expect(cdbLength(0x00)).toBe(6);
    expect(cdbLength(0x1f)).toBe(6);
    expect(cdbLength(0x28)).toBe(10);
    expect(cdbLength(0x5a)).toBe(10);
    expect(cdbLength(0x88)).toBe(16);
    expect(cdbLength(0xa0)).toBe(12);
  });
  it('has no fixed length for reserved and vendor groups', () => {
    expect(cdbLength(0x60)).toBeUndefined();
    expect(cdbLength(0x7e)).toBeUndefined();
    expect(cdbLength(0xc0)).toBeUndefined();
    expect(cdbLength(0xff)).toBeUndefined();
  });
  it('reads ADDITIONAL CDB LENGTH for variable-length CDBs', () => {
    expect(cdbLength(0x7f)).toBeUndefined();
    expect(cdbLength(0x7f, hex`7f 00 00 00 00 00 00 18`)).toBe(32);
    expect(cdbLength(0x7f, hex`7f 00 00`)).toBeUndefined();
  });
});

describe('ASC/ASCQ names', () => {
  it('names exact codes', () => {
    expect(ascName(0x24, 0x00)).toBe('INVALID FIELD IN CDB');
    expect(ascName(0x29, 0x00)).toBe('POWER ON, RESET, OR BUS DEVICE RESET OCCURRED');
    expect(ascName(0x3a, 0x00)).toBe('MEDIUM NOT PRESENT');
  });
  it('fills ranged patterns with the ASCQ', () => {
    expect(ascName(0x40, 0x05)).toBe('RAM FAILURE 0x05');
    expect(ascName(0x40, 0x85)).toBe('DIAGNOSTIC FAILURE ON COMPONENT 0x85');
    expect(ascName(0x4d, 0x2a)).toBe('TAGGED OVERLAPPED COMMANDS 0x2A');
    expect(ascName(0x70, 0x11)).toBe('DECOMPRESSION EXCEPTION SHORT ALGORITHM ID OF 0x11');
    // An exact entry wins over the range that covers it.
    expect(ascName(0x40, 0x00)).toBe('RAM FAILURE (SHOULD USE 40 NN)');
  });
  it('falls back to hex, calling vendor ranges vendor specific', () => {
    expect(ascName(0x84, 0x01)).toBe('ASC 0x84/0x01 (VENDOR SPECIFIC)');
    expect(ascName(0x04, 0x85)).toBe('ASC 0x04/0x85 (VENDOR SPECIFIC)');
    expect(ascName(0x7e, 0x00)).toBe('ASC 0x7E/0x00');
  });
});

describe('status names', () => {
  it('names sense keys', () => {
    expect(senseKeyName(0x5)).toBe('ILLEGAL REQUEST');
    expect(senseKeyName(0x6)).toBe('UNIT ATTENTION');
    expect(senseKeyName(0xb)).toBe('ABORTED COMMAND');
    expect(senseKeyName(0xf)).toBe('COMPLETED');
    expect(senseKeyName(0x10)).toBe('SENSE KEY 0x10');
  });
  it('names SAM statuses', () => {
    expect(samStatusName(SamStatus.Good)).toBe('GOOD');
    expect(samStatusName(SamStatus.CheckCondition)).toBe('CHECK CONDITION');
    expect(samStatusName(SamStatus.TaskSetFull)).toBe('TASK SET FULL');
    expect(samStatusName(SamStatus.ReservationConflict)).toBe('RESERVATION CONFLICT');
    expect(samStatusName(0x3c)).toBe('STATUS 0x3C');
    expect(samStatusName(1000)).toBe('STATUS 1000');
  });
  it('names DriverKit service responses', () => {
    expect(serviceResponseName(ServiceResponse.TaskComplete)).toBe('TASK COMPLETE');
    expect(serviceResponseName(ServiceResponse.ServiceDeliveryOrTargetFailure)).toBe('SERVICE DELIVERY OR TARGET FAILURE');
    expect(serviceResponseName(9)).toBe('SERVICE RESPONSE 0x09');
  });
  it('reads 0x02 by the service response it came with', () => {
    expect(taskStatusName(ServiceResponse.TaskComplete, 0x02)).toBe('CHECK CONDITION');
    expect(taskStatusName(ServiceResponse.ServiceDeliveryOrTargetFailure, DeliveryStatus.ProtocolTimeoutOccurred)).toBe('PROTOCOL TIMEOUT');
    expect(taskStatusName(ServiceResponse.ServiceDeliveryOrTargetFailure, DeliveryStatus.TaskTimeoutOccurred)).toBe('TASK TIMEOUT');
    expect(taskStatusName(ServiceResponse.ServiceDeliveryOrTargetFailure, DeliveryStatus.DeviceNotPresent)).toBe('DEVICE NOT PRESENT');
    expect(taskStatusName(ServiceResponse.ServiceDeliveryOrTargetFailure, 0xff)).toBe('NO STATUS');
    expect(taskStatusName(ServiceResponse.FunctionRejected, 0)).toBe('FUNCTION REJECTED');
  });
});
