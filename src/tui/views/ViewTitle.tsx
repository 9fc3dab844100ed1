import React from 'react';
import { Text } from 'ink';

/** The first line of a view: its name, then dim details (counts, filter, sort). */
export function ViewTitle(props: { title: string; details?: readonly string[] }): React.ReactElement {
  const details = (props.details ?? []).filter((d) => d !== '');
  return (
    <Text wrap="truncate">
      <Text bold>{` ${props.title}`}</Text>
      <Text dimColor>{details.length > 0 ? ` · ${details.join(' · ')}` : ''}</Text>
    </Text>
  );
}

export function filterDetail(filter: string): string {
  if (filter === '') return '';
  return filter.startsWith('!') ? `filter: not "${filter.slice(1)}"` : `filter: "${filter}"`;
}
