import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { Services } from "@scaleout/services";
import { Type } from "@sinclair/typebox";
import { AlarmHistoryItem, MetricAlarm, PutAlarm, SetAlarmState } from "../schemas/cloudwatch.ts";
import { errors, NameParams, PageOf, PageQuery, StringEnum } from "../schemas/common.ts";

const tags = ["Alarms"];
const AlarmRef = Type.Ref(MetricAlarm);

export const alarmRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const alarms = services.alarms;

  app.put(
    "/alarms/:name",
    {
      schema: {
        tags,
        summary: "PutMetricAlarm (an upsert; new alarms start in INSUFFICIENT_DATA)",
        params: NameParams,
        body: PutAlarm,
        response: { 201: AlarmRef, 200: AlarmRef, ...errors(400) },
      },
    },
    async (request, reply) => {
      const { alarm, created } = alarms.put(request.params.name, request.body);
      return reply.code(created ? 201 : 200).send(alarm);
    },
  );

  app.get(
    "/alarms",
    {
      schema: {
        tags,
        summary: "DescribeAlarms",
        querystring: Type.Composite(
          [
            PageQuery,
            Type.Object({
              alarmNamePrefix: Type.Optional(Type.String()),
              stateValue: Type.Optional(StringEnum(["OK", "ALARM", "INSUFFICIENT_DATA"])),
              actionPrefix: Type.Optional(Type.String()),
            }),
          ],
          { additionalProperties: false },
        ),
        response: { 200: PageOf("metricAlarms", AlarmRef), ...errors(400) },
      },
    },
    async (request) => {
      const page = alarms.list(request.query);
      return { metricAlarms: page.items, ...(page.nextToken && { nextToken: page.nextToken }) };
    },
  );

  app.get(
    "/alarms/:name",
    {
      schema: {
        tags,
        summary: "Describe one alarm",
        params: NameParams,
        response: { 200: AlarmRef, ...errors(404) },
      },
    },
    async (request) => alarms.get(request.params.name),
  );

  app.delete(
    "/alarms/:name",
    {
      schema: {
        tags,
        summary: "DeleteAlarms (one)",
        params: NameParams,
        response: { 204: Type.Null(), ...errors(404) },
      },
    },
    async (request, reply) => {
      alarms.delete([request.params.name]);
      return reply.code(204).send(null);
    },
  );

  app.get(
    "/alarms/:name/history",
    {
      schema: {
        tags,
        summary: "DescribeAlarmHistory",
        params: NameParams,
        querystring: Type.Composite(
          [
            PageQuery,
            Type.Object({
              historyItemType: Type.Optional(StringEnum(["ConfigurationUpdate", "StateUpdate", "Action"])),
              startDate: Type.Optional(Type.String()),
              endDate: Type.Optional(Type.String()),
              scanBy: Type.Optional(StringEnum(["TimestampDescending", "TimestampAscending"])),
            }),
          ],
          { additionalProperties: false },
        ),
        response: { 200: PageOf("alarmHistoryItems", AlarmHistoryItem), ...errors(400, 404) },
      },
    },
    async (request) => {
      const page = alarms.history(request.params.name, request.query);
      return { alarmHistoryItems: page.items, ...(page.nextToken && { nextToken: page.nextToken }) };
    },
  );

  app.put(
    "/alarms/:name/state",
    {
      schema: {
        tags,
        summary: "SetAlarmState (temporary; the alarm's actions for the new state run)",
        params: NameParams,
        body: SetAlarmState,
        response: { 200: AlarmRef, ...errors(400, 404) },
      },
    },
    async (request) => alarms.setState(request.params.name, request.body),
  );
};
