import { Injectable } from '@nestjs/common';
import { cached } from 'larder';

export interface User {
  readonly id: string;
  readonly name: string;
  /** How many times the service really looked a user up, when this one was looked up. */
  readonly lookup: number;
}

@Injectable()
export class UsersService {
  lookups = 0;

  // The key function is typed against the method: `(id: number) => …` would not compile here.
  @cached({ cache: 'users', key: (id: string) => `user:${id}` })
  async find(id: string): Promise<User> {
    this.lookups++;
    await new Promise((resolve) => setTimeout(resolve, 20)); // a slow database
    return { id, name: `user ${id}`, lookup: this.lookups };
  }
}
